import CreditsCore
import CreditsStore
import CreditsWebhooks
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

extension TestClientProtocol {
    /// `POST /v1/attempts` for the pool.
    func createAttempt(
        _ workspace: TestWorkspace, _ attemptId: String, number: String = "+14155550100", extra: String = ""
    ) async throws -> TestResponse {
        try await send(
            .post, "/v1/attempts", token: workspace.secret,
            json: #"{"attemptId": "\#(attemptId)", "phoneNumber": "\#(number)"\#(extra)}"#)
    }

    /// `POST /v1/attempts/{id}/events` with a JSON event body (without the event id).
    func sendEvent(
        _ workspace: TestWorkspace, _ attemptId: String, eventId: String, _ event: String
    ) async throws -> TestResponse {
        try await send(
            .post, "/v1/attempts/\(attemptId)/events", token: workspace.secret,
            json: #"{"eventId": "\#(eventId)", \#(event)}"#)
    }

    /// The attempt as `GET /v1/attempts/{id}` shows it.
    func attempt(_ workspace: TestWorkspace, _ attemptId: String) async throws -> CallAttempt {
        let response = try await send(.get, "/v1/attempts/\(attemptId)", token: workspace.secret)
        #expect(response.status == .ok)
        return try decode(AttemptDetailView.self, response).attempt
    }

    /// A Twilio status callback for the attempt, signed with `token` (default the configured one).
    func twilioCallback(
        _ workspace: TestWorkspace, _ attemptId: String, _ fields: [(name: String, value: String)],
        token: String = twilioTestToken, signature: String? = nil
    ) async throws -> TestResponse {
        let path = "/v1/callbacks/twilio/\(workspace.id)/\(attemptId)"
        let signed =
            signature
            ?? TwilioSignature.compute(authToken: token, url: twilioTestBaseURL + path, parameters: fields)
        return try await execute(
            uri: path, method: .post,
            headers: [
                .contentType: "application/x-www-form-urlencoded", HTTPField.Name(TwilioSignature.headerName)!: signed,
            ],
            body: ByteBuffer(string: FormBody.encode(fields)))
    }

    /// The workspace's usage for 2026-01-01 (the harness clock's day) as JSON.
    func usageToday(_ workspace: TestWorkspace) async throws -> UsageReport {
        let response = try await send(.get, "/v1/usage?from=2026-01-01&to=2026-01-01", token: workspace.secret)
        #expect(response.status == .ok)
        return try decode(UsageReport.self, response)
    }
}

/// The fields of one Twilio status callback.
func twilioFields(
    _ status: String, answeredBy: String? = nil, duration: Int? = nil, callSid: String = "CA0123456789abcdef"
) -> [(name: String, value: String)] {
    var fields: [(name: String, value: String)] = [
        ("AccountSid", "AC0000"), ("CallSid", callSid), ("CallStatus", status), ("To", "+14155550100"),
    ]
    if let answeredBy { fields.append(("AnsweredBy", answeredBy)) }
    if let duration { fields.append(("CallDuration", String(duration))) }
    return fields
}
