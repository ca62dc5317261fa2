import CreditsCore
import CreditsStore
import CreditsWebhooks
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

/// Twilio status callbacks: signed, form-encoded, mapped to attempt events as PRODUCT.md says.
@Suite("Twilio status callbacks")
struct TwilioCallbackTests {
    @Test func aSignedCallbackConnectsAndCompletesTheAttempt() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 3)
            _ = try await client.createAttempt(workspace, "att-1")
            let ringing = try await client.twilioCallback(workspace, "att-1", twilioFields("ringing"))
            #expect(ringing.status == .ok)
            #expect(try decode(AttemptUpdateView.self, ringing).disposition == .duplicate)
            let answered = try await client.twilioCallback(
                workspace, "att-1", twilioFields("in-progress", answeredBy: "human"))
            #expect(try decode(AttemptUpdateView.self, answered).ledgerAction == .capture)
            let completed = try await client.twilioCallback(
                workspace, "att-1", twilioFields("completed", answeredBy: "human", duration: 42))
            let view = try decode(AttemptUpdateView.self, completed)
            #expect(view.attempt.status == .answered && view.attempt.outcome == .answeredFullConversation)
            #expect(view.attempt.connectedParty == .person && view.attempt.creditsCharged == 1)
            #expect(try await client.balance(workspace).available == 2)
            let events = try await client.send(.get, "/v1/attempts/att-1", token: workspace.secret)
            let sources = try decode(AttemptDetailView.self, events).events.map(\.source)
            #expect(sources == ["dial", "twilio", "twilio", "twilio"])
        }
    }

    @Test func twilioRetriesOfOneCallbackReplayAndChargeOnce() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 3)
            _ = try await client.createAttempt(workspace, "att-1")
            let fields = twilioFields("completed", answeredBy: "machine_end_beep", duration: 20)
            let first = try await client.twilioCallback(workspace, "att-1", fields)
            let retry = try await client.twilioCallback(workspace, "att-1", fields)
            #expect(first.status == .ok && retry.status == .ok && retry.headers[.idempotentReplayed] == "true")
            #expect(try decode(AttemptUpdateView.self, first).attempt.outcome == .missedVoicemailLeft)
            #expect(try await client.balance(workspace).available == 2)
        }
    }

    @Test(
        "busy, no-answer and failed release the credit; canceled cancels",
        arguments: ["busy", "no-answer", "failed", "canceled"])
    func notConnected(status: String) async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            _ = try await client.createAttempt(workspace, "att-1")
            let response = try await client.twilioCallback(workspace, "att-1", twilioFields(status))
            let view = try decode(AttemptUpdateView.self, response)
            #expect(view.attempt.status == (status == "canceled" ? .cancelled : .failed))
            #expect(view.ledgerAction == .release)
            let balance = try await client.balance(workspace)
            #expect(balance.available == 1 && balance.held == 0)
        }
    }

    @Test func aWrongSignatureIsRefusedAndChangesNothing() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            _ = try await client.createAttempt(workspace, "att-1")
            let fields = twilioFields("completed", answeredBy: "human", duration: 60)
            let wrongToken = try await client.twilioCallback(workspace, "att-1", fields, token: "not-the-token")
            #expect(wrongToken.status == .forbidden)
            #expect(try errorBody(wrongToken).code == "invalid_signature")
            let missing = try await client.twilioCallback(workspace, "att-1", fields, signature: "")
            #expect(missing.status == .forbidden)
            // Signed for other fields: the body was tampered with after signing.
            let signedForBusy = try await client.twilioCallback(
                workspace, "att-1", fields,
                signature: TwilioSignature.compute(
                    authToken: twilioTestToken,
                    url: twilioTestBaseURL + "/v1/callbacks/twilio/\(workspace.id)/att-1",
                    parameters: twilioFields("busy")))
            #expect(signedForBusy.status == .forbidden)
            let attempt = try await client.attempt(workspace, "att-1")
            #expect(attempt.status == .calling && attempt.charge == .held && attempt.creditsCharged == 0)
            let detail = try await client.send(.get, "/v1/attempts/att-1", token: workspace.secret)
            #expect(try decode(AttemptDetailView.self, detail).events.map(\.source) == ["dial"])
            let balance = try await client.balance(workspace)
            #expect(balance.available == 0 && balance.held == 1)
        }
    }

    @Test func callbacksAreOffWithoutAnAuthToken() async throws {
        try await Harness(twilioAuthToken: nil).run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            _ = try await client.createAttempt(workspace, "att-1")
            let response = try await client.twilioCallback(workspace, "att-1", twilioFields("completed"))
            #expect(response.status == .forbidden)
            #expect(try errorBody(response).code == "twilio_disabled")
        }
    }

    @Test func anUnreadableCallbackIsRefusedAndAnUnknownAttemptIsNotFound() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            _ = try await client.createAttempt(workspace, "att-1")
            let unknownStatus = try await client.twilioCallback(workspace, "att-1", twilioFields("exploded"))
            #expect(unknownStatus.status == .unprocessableContent)
            #expect(try errorBody(unknownStatus).code == "invalid_callback")
            let unknownAttempt = try await client.twilioCallback(workspace, "nope", twilioFields("completed"))
            #expect(unknownAttempt.status == .notFound)
            #expect(try errorBody(unknownAttempt).code == "unknown_attempt")
        }
    }
}
