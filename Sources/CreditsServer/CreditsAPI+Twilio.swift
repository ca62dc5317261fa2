import CreditsCore
import CreditsStore
import CreditsWebhooks
import Foundation
import HTTPTypes
import Hummingbird

/// Twilio's status callbacks (`StatusCallback` of a call the platform placed), form-encoded and signed
/// with the account's auth token. The attempt's workspace and id are in the callback URL the platform
/// gave Twilio: `/v1/callbacks/twilio/{workspaceId}/{attemptId}`.
extension CreditsAPI {
    /// `POST /v1/callbacks/twilio/{workspaceId}/{attemptId}`: verifies `X-Twilio-Signature` before reading
    /// anything else (a wrong or missing signature is 403 `invalid_signature` and changes nothing), maps
    /// CallStatus/AnsweredBy/CallDuration to an attempt event (docs/calls.md) and applies it, idempotent
    /// per (CallSid, CallStatus): Twilio's retries of one callback replay.
    func twilioStatusCallback(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        guard let authToken = configuration.twilioAuthToken, !authToken.isEmpty else {
            throw APIError(.forbidden, .twilioDisabled, "Twilio callbacks are off: no auth token is configured")
        }
        let workspaceId = try parameter("workspaceId", context)
        let attemptId = try parameter("attemptId", context)
        let body = try await collectBody(request)
        guard let form = FormBody.parse(body) else {
            throw APIError.badRequest("the body is not application/x-www-form-urlencoded")
        }
        let signature = request.headers[HTTPField.Name(TwilioSignature.headerName)!] ?? ""
        guard
            TwilioSignature.isValid(
                signature: signature, authToken: authToken, url: signedURL(request), parameters: form)
        else {
            metrics.recordOperation("twilio_signature_refused", replayed: false)
            throw APIError(.forbidden, .invalidSignature, "the X-Twilio-Signature does not match this request")
        }
        var fields: [String: String] = [:]
        for (name, value) in form where fields[name] == nil { fields[name] = value }
        let callback = try TwilioStatusCallback(form: fields)
        guard let callSid = fields["CallSid"], !callSid.isEmpty else {
            throw CallRefusal(.invalidCallback, "CallSid is missing")
        }
        let command = AttemptEventCommand(
            workspaceId: workspaceId, attemptId: attemptId,
            eventId: "twilio:" + callSid + ":" + callback.callStatus.rawValue,
            event: TwilioMapping.event(for: callback),
            source: "twilio")
        try command.validate()
        try Limits.checkIdentifier(workspaceId, field: "workspaceId")
        let update = try await store.applyEvent(command)
        metrics.recordOperation("twilio_callback", replayed: update.replayed)
        return try updateResponse(update)
    }

    /// The URL Twilio called, as it signed it: the configured public base URL (or `http://` and the Host
    /// header) followed by the request target, query included.
    func signedURL(_ request: Request) -> String {
        let base = configuration.publicBaseURL ?? ("http://" + (request.head.authority ?? ""))
        return base + request.uri.string
    }
}

/// `application/x-www-form-urlencoded` bodies.
enum FormBody {
    /// The fields in order (a name may repeat); nil when a field is not valid percent-encoding.
    static func parse(_ data: Data) -> [(name: String, value: String)]? {
        let text = String(decoding: data, as: UTF8.self)
        var fields: [(name: String, value: String)] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else { return nil }
            fields.append((name, value))
        }
        return fields
    }

    /// Encodes fields as a form body (for tests and clients).
    static func encode(_ fields: [(name: String, value: String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        func escape(_ text: String) -> String {
            (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(
                of: "%20", with: "+")
        }
        return fields.map { escape($0.name) + "=" + escape($0.value) }.joined(separator: "&")
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
