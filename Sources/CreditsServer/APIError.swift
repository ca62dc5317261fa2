import CreditsCore
import Foundation
import Hummingbird

/// An error as a client sees it: an HTTP status and a JSON body with a stable code.
/// Every failure of the API, business refusal or not, leaves the server as one of these.
public struct APIError: Error, Sendable, Equatable, HTTPResponseError {
    /// The HTTP status of the response.
    public var status: HTTPResponse.Status
    /// The stable, machine-readable code (see `APIErrorCode`).
    public var code: String
    /// A message for a person; never contains internal details.
    public var message: String
    /// Whether sending the same request again later can succeed.
    public var retryable: Bool

    /// Creates an error response with a code the server defines.
    public init(_ status: HTTPResponse.Status, _ code: APIErrorCode, _ message: String, retryable: Bool = false) {
        self.status = status
        self.code = code.rawValue
        self.message = message
        self.retryable = retryable
    }

    /// The response for a business refusal of the ledger.
    public init(_ refusal: LedgerRefusal) {
        self.status = Self.status(for: refusal.code)
        self.code = refusal.code.rawValue
        self.message = refusal.message
        self.retryable = refusal.code.retryable
    }

    /// The response for a refusal of the call rules: an event that cannot happen (409) or a provider
    /// callback that cannot be read (422).
    public init(_ refusal: CallRefusal) {
        switch refusal.code {
        case .invalidAttemptEvent: self.status = .conflict
        case .invalidCallback: self.status = .unprocessableContent
        }
        self.code = refusal.code.rawValue
        self.message = refusal.message
        self.retryable = refusal.code.retryable
    }

    /// The response for a campaign refusal: no such campaign (404), or an action its status does not allow (409).
    public init(_ refusal: CampaignRefusal) {
        switch refusal.code {
        case .campaignNotFound: self.status = .notFound
        case .invalidTransition, .notEditable, .noRecipients, .shortfallNotAcknowledged, .notActive:
            self.status = .conflict
        }
        self.code = refusal.code.rawValue
        self.message = refusal.message
        self.retryable = refusal.code.retryable
    }

    /// The response for a refused recipient CSV file: too large (413) or unreadable as a recipient list (422).
    public init(_ error: RecipientCSVError) {
        self.status = error.code == .tooLarge ? .contentTooLarge : .unprocessableContent
        self.code = error.code.rawValue
        self.message = error.message
        self.retryable = false
    }

    /// The status of each refusal code.
    public static func status(for code: RefusalCode) -> HTTPResponse.Status {
        switch code {
        case .invalidRequest: .unprocessableContent
        case .workspaceNotFound, .walletNotFound, .unknownAttempt, .planNotFound, .packageNotFound,
            .subscriptionNotFound, .purchaseNotFound, .personNotFound, .invitationNotFound:
            .notFound
        case .idempotencyConflict, .holdAlreadyCaptured, .holdAlreadyReleased, .subscriptionExists,
            .purchaseNotCompleted, .invitationClosed, .alreadyMember, .invalidPersonState, .overAllocation:
            .conflict
        case .invitationExpired: .gone
        case .outOfCredits: .paymentRequired
        }
    }

    /// The JSON body of every error response.
    struct Body: Codable, Equatable {
        var code: String
        var message: String
        var retryable: Bool
    }

    /// The JSON error response; a 401 also says which scheme to use.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(Body(code: code, message: message, retryable: retryable), status: status)
        if status == .unauthorized {
            response.headers[.wwwAuthenticate] = "Bearer"
        }
        return response
    }
}

/// Codes the HTTP layer adds to the ledger's `RefusalCode`s (422 `invalid_request` is the ledger's own,
/// also for values the HTTP layer checks). Stable: clients may switch on them.
public enum APIErrorCode: String, Sendable, CaseIterable {
    /// 400: the body is not JSON, or a field has the wrong type.
    case badRequest = "bad_request"
    /// 401: no credentials, or credentials that are unknown or revoked.
    case unauthorized
    /// 403: a member's key on a route only the workspace's owner may use (docs/teams.md).
    case ownerOnly = "owner_only"
    /// 403: the operator routes are turned off (no admin token configured).
    case adminDisabled = "admin_disabled"
    /// A provider callback whose signature is missing, wrong, or outside the tolerance window: 400 on the Stripe
    /// webhook, 403 on the Twilio status callback (as Twilio's own examples answer).
    case invalidSignature = "invalid_signature"
    /// 403: the Stripe webhook is off (no Stripe configured).
    case webhookDisabled = "webhook_disabled"
    /// 404: no such route.
    case notFound = "not_found"
    /// 404: no such API key in the caller's workspace.
    case apiKeyNotFound = "api_key_not_found"
    /// 404: no such webhook endpoint in the caller's workspace.
    case webhookEndpointNotFound = "webhook_endpoint_not_found"
    /// 413: the body is larger than `requestBodyBytesMax`.
    case payloadTooLarge = "payload_too_large"
    /// 500: something failed inside the server; the cause is logged, not returned.
    case internalError = "internal_error"
    /// 502: the payment provider failed to start a checkout; retrying with the same `Idempotency-Key` is safe.
    case paymentProviderError = "payment_provider_error"
    /// 503: the store does not answer (health check).
    case unavailable
    /// 403: the Twilio callback route is off (no auth token configured).
    case twilioDisabled = "twilio_disabled"
}

extension APIError {
    /// 400 with a message saying what could not be read.
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, .badRequest, message) }
    /// 401 with a generic message; never says whether a key exists.
    static let unauthorized = APIError(.unauthorized, .unauthorized, "missing, unknown or revoked credentials")
    /// 500 with a generic message.
    static let unexpected = APIError(
        .internalServerError, .internalError, "the server failed to process the request", retryable: true)

    /// The client-facing form of any error thrown while answering a request; nil when it is unexpected
    /// (the caller logs it and answers 500).
    static func from(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError:
            return error
        case let refusal as LedgerRefusal:
            return APIError(refusal)
        case let refusal as CallRefusal:
            return APIError(refusal)
        case let refusal as CampaignRefusal:
            return APIError(refusal)
        case let error as RecipientCSVError:
            return APIError(error)
        case let error as DecodingError:
            return .badRequest(error.clientDescription)
        case let error as any HTTPResponseError:
            switch error.status {
            case .notFound: return APIError(.notFound, .notFound, "no such route")
            case .contentTooLarge: return .payloadTooLarge
            case .badRequest: return .badRequest("the request could not be read")
            default: return nil
            }
        default:
            return nil
        }
    }

    /// 413 for a body over the configured maximum.
    static let payloadTooLarge = APIError(.contentTooLarge, .payloadTooLarge, "the request body is too large")
}

extension DecodingError {
    /// What is wrong with the body, naming the field but not the decoder's internals.
    var clientDescription: String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty
                ? "body"
                : codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
                    .joined(separator: ".")
        }
        switch self {
        case .keyNotFound(let key, let context):
            return "missing field `\(path(context.codingPath + [key]))`"
        case .valueNotFound(_, let context):
            return "missing value for `\(path(context.codingPath))`"
        case .typeMismatch(_, let context):
            return "wrong type for `\(path(context.codingPath))`"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "the body is not valid JSON" : "invalid value for `\(path(context.codingPath))`"
        @unknown default:
            return "the body could not be read"
        }
    }
}
