import CreditsCore
import CreditsStore
import Hummingbird

/// One endpoint of the API: what the router registers and what the OpenAPI test checks, in one place.
struct Route: Sendable {
    /// Who may call an endpoint, and what the handler is given.
    enum Handler: Sendable {
        /// No credentials (health, metrics, the OpenAPI document).
        case open(@Sendable (Request, CreditsRequestContext) async throws -> Response)
        /// The operator's admin token.
        case admin(@Sendable (Request, CreditsRequestContext) async throws -> Response)
        /// A workspace API key of the owner or a member; the handler gets the principal, whose workspace scopes
        /// everything it does and whose wallet scopes what a member sees (docs/teams.md).
        case apiKey(@Sendable (Principal, Request, CreditsRequestContext) async throws -> Response)
        /// A workspace API key of the owner only; a member's key is answered 403 `owner_only`.
        case owner(@Sendable (Principal, Request, CreditsRequestContext) async throws -> Response)
    }

    let method: HTTPRequest.Method
    /// The path template, in OpenAPI's `{name}` form (which Hummingbird's router also reads).
    let path: String
    /// Every status the endpoint can answer with; the OpenAPI document must list each one.
    let statuses: Set<Int>
    let handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, statuses: Set<Int>, _ handler: Handler) {
        self.method = method
        self.path = path
        switch handler {
        case .open: self.statuses = statuses
        // Every credentialed route can refuse the credentials and fail unexpectedly.
        case .admin: self.statuses = statuses.union([401, 403, 500])
        case .apiKey: self.statuses = statuses.union([401, 500])
        case .owner: self.statuses = statuses.union([401, 403, 500])
        }
        self.handler = handler
    }
}

/// Statuses shared by the routes that read a JSON body.
let bodyStatuses: Set<Int> = [400, 413, 422]
