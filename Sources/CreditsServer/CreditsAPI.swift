import CreditsCore
import CreditsStore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The API's handlers and what they share: the store, the clock, the limits and the metrics.
struct CreditsAPI: Sendable {
    let store: any ServiceStore
    /// The clock the app was built with: the Stripe webhook's tolerance window and the Send step's "now" are
    /// checked against it (the store stamps rows with its own).
    let clock: any CreditsClock
    /// Dials campaigns; the API asks it to cancel one (it hangs up calls) and places single calls.
    let runner: CampaignRunner
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let logger: Logger
    /// Wallets whose credits the handlers changed, for the wallet alert evaluator.
    let walletWatch: WalletWatch
    /// The OpenAPI document, read once at start; nil if the resource is missing from the build.
    let openAPIDocument: Data?
    /// Where purchases are paid: Stripe when configured, else the built-in provider.
    let payments: any PaymentProvider

    init(
        store: any ServiceStore, clock: any CreditsClock, configuration: ServerConfiguration,
        metrics: ServerMetrics, logger: Logger, walletWatch: WalletWatch = WalletWatch(),
        runner: CampaignRunner? = nil, payments: (any PaymentProvider)? = nil
    ) {
        self.store = store
        self.walletWatch = walletWatch
        self.clock = clock
        self.payments =
            payments ?? configuration.stripe.map { StripePayments(configuration: $0) } ?? BuiltInPayments()
        self.runner =
            runner
            ?? CampaignRunner.simulated(
                store: store, clock: clock, seed: configuration.carrierSeed,
                tickSeconds: configuration.campaignTickSeconds,
                logger: logger)
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.openAPIDocument = Bundle.module.url(
            forResource: "openapi", withExtension: "yaml", subdirectory: "Resources"
        )
        .flatMap { try? Data(contentsOf: $0) }
    }

    /// Answers one request for `route`: checks credentials, runs the handler, and turns every error
    /// into its JSON response, so the route's status can be checked against the route table.
    func respond(to route: Route, request: Request, context: CreditsRequestContext) async -> Response {
        var response: Response
        do {
            switch route.handler {
            case .open(let handle):
                response = try await handle(request, context)
            case .admin(let handle):
                try checkAdmin(request)
                response = try await handle(request, context)
            case .apiKey(let handle):
                let principal = try await authenticatedPrincipal(request)
                var context = context
                context.logger[metadataKey: "workspace"] = "\(principal.workspaceId)"
                response = try await handle(principal, request, context)
            case .owner(let handle):
                let principal = try await authenticatedPrincipal(request)
                guard principal.isOwner else {
                    throw APIError(.forbidden, .ownerOnly, "only the workspace's owner may do this")
                }
                var context = context
                context.logger[metadataKey: "workspace"] = "\(principal.workspaceId)"
                response = try await handle(principal, request, context)
            }
        } catch {
            response = errorResponse(error, request: request, context: context)
        }
        assert(
            route.statuses.contains(Int(response.status.code)),
            "\(route.method) \(route.path) answered \(response.status.code), which its route entry does not list")
        return response
    }

    /// The JSON response for an error; unexpected errors are logged and answered with a generic 500.
    func errorResponse(_ error: any Error, request: Request, context: CreditsRequestContext) -> Response {
        if let refusal = error as? LedgerRefusal { metrics.recordRefusal(refusal.code) }
        let apiError: APIError
        if let known = APIError.from(error) {
            apiError = known
        } else {
            context.logger.error(
                "request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            apiError = .unexpected
        }
        do {
            return try apiError.response(from: request, context: context)
        } catch {
            return Response(status: .internalServerError)
        }
    }

    // MARK: Credentials

    /// The token after `Bearer `, if the request has one.
    func bearerToken(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// Lets the request through only with the configured admin token, compared in constant time.
    func checkAdmin(_ request: Request) throws(APIError) {
        guard let adminToken = configuration.adminToken, !adminToken.isEmpty else {
            throw APIError(.forbidden, .adminDisabled, "operator routes are disabled: no admin token is configured")
        }
        guard let token = bearerToken(request) else { throw .unauthorized }
        // Comparing digests keeps the comparison's time independent of where the strings differ.
        let given = SHA256.hash(data: Data(token.utf8))
        let expected = SHA256.hash(data: Data(adminToken.utf8))
        guard given == expected else { throw .unauthorized }
    }

    /// The unrevoked API key the request presents.
    func authenticatedKey(_ request: Request) async throws -> APIKey {
        guard let token = bearerToken(request), token.hasPrefix("cc_"), token.utf8.count <= 64 else {
            throw APIError.unauthorized
        }
        guard let key = try await store.apiKey(hash: APIKeySecret.hash(token)), key.revokedAt == nil else {
            throw APIError.unauthorized
        }
        return key
    }

    /// Who the request's API key acts for. An owner's key needs no further read; a member's key is checked against
    /// the member (a removed member's keys stop working even if one escaped revocation) and brings their wallet.
    func authenticatedPrincipal(_ request: Request) async throws -> Principal {
        let key = try await authenticatedKey(request)
        guard key.role == .member else {
            return Principal(
                workspaceId: key.workspaceId, personId: key.personId, role: .owner, walletId: nil, keyId: key.id)
        }
        guard let person = try await store.person(workspaceId: key.workspaceId, personId: key.personId),
            person.canAct, person.role == .member
        else { throw APIError.unauthorized }
        return Principal(person: person, keyId: key.id)
    }

    // MARK: Bodies and parameters

    /// Decodes the JSON body, refusing bodies over `requestBodyBytesMax` with 413 before reading them whole.
    func decodeBody<Body: Decodable>(_ type: Body.Type, from request: Request) async throws -> Body {
        let data = try await collectBody(request)
        guard !data.isEmpty else { throw APIError.badRequest("a JSON body is required") }
        return try JSONDecoder.api.decode(Body.self, from: data)
    }

    /// Decodes an optional JSON body: nil when the request has none.
    func decodeOptionalBody<Body: Decodable>(_ type: Body.Type, from request: Request) async throws -> Body? {
        let data = try await collectBody(request)
        guard !data.isEmpty else { return nil }
        return try JSONDecoder.api.decode(Body.self, from: data)
    }

    /// The raw body, refused with 413 beyond `limit` (default `requestBodyBytesMax`).
    func collectBody(_ request: Request, limit: Int? = nil) async throws -> Data {
        let limit = limit ?? configuration.requestBodyBytesMax
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.payloadTooLarge
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge
        }
    }

    /// A path parameter the router matched.
    func parameter(_ name: String, _ context: CreditsRequestContext) throws -> String {
        guard let value = context.parameters.get(name) else {
            preconditionFailure("route has no parameter \(name)")
        }
        return value
    }

    /// The wallet a request names as `principal` may use it: the owner any wallet of the workspace (default the pool),
    /// a member only their own (the default); another wallet is unknown to a member (404), as another workspace's is.
    func scopedWallet(_ requested: WalletID?, _ principal: Principal) async throws -> WalletID {
        guard !principal.isOwner, let own = principal.walletId else {
            return try await walletOrPool(requested, principal.workspaceId)
        }
        if let requested, requested != own {
            throw LedgerRefusal(.walletNotFound, "no wallet \(requested) in this workspace")
        }
        return own
    }

    /// A list's wallet filter as `principal` may use it: the owner's as given, a member's always their own wallet.
    func scopedFilter(_ requested: WalletID?, _ principal: Principal) throws(LedgerRefusal) -> WalletID? {
        guard !principal.isOwner, let own = principal.walletId else { return requested }
        if let requested, requested != own {
            throw LedgerRefusal(.walletNotFound, "no wallet \(requested) in this workspace")
        }
        return own
    }

    /// Refuses, as `notFound`, a resource on a wallet the principal may not see.
    func checkVisible(_ walletId: WalletID, _ principal: Principal, _ notFound: @autoclosure () -> any Error) throws {
        guard principal.mayUse(walletId: walletId) else { throw notFound() }
    }

    /// The wallet a request names, or the workspace's pool when it names none.
    func walletOrPool(_ walletId: WalletID?, _ workspaceId: WorkspaceID) async throws -> WalletID {
        if let walletId { return walletId }
        guard let pool = try await store.wallets(workspaceId: workspaceId).first(where: { $0.kind == .pool }) else {
            throw LedgerRefusal(.walletNotFound, "the workspace has no pool wallet")
        }
        return pool.id
    }
}
