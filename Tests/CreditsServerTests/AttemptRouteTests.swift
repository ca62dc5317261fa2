import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

/// The seed's cost table, one test per row, through the HTTP API; then the event rules.
@Suite("Attempt routes")
struct AttemptRouteTests {
    /// How each row of the table is reached through the API, and what it must cost.
    static let rows: [(outcome: CallOutcome, event: String?)] = [
        (.answeredFullConversation, #""type": "completed", "outcome": "answered_full_conversation""#),
        (.answeredHungUpImmediately, #""type": "completed", "outcome": "answered_hung_up_immediately""#),
        (.missedVoicemailLeft, #""type": "completed", "outcome": "missed_voicemail_left""#),
        (.missedNoVoicemail, #""type": "completed", "outcome": "missed_no_voicemail""#),
        (.failed, #""type": "failed""#),
        (.cancelled, nil),  // POST /v1/attempts/{id}/cancel
        (.dnc, nil),  // the number is on the DNC list
    ]

    @Test("each row of the seed's cost table costs what the table says", arguments: Self.rows.map(\.outcome))
    func costTableRow(outcome: CallOutcome) async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 5)
            if outcome == .dnc {
                let listed = try await client.send(
                    .post, "/v1/dnc", token: workspace.secret, json: #"{"numbers": ["(415) 555-0100"]}"#)
                #expect(listed.status == .ok)
            }
            let created = try await client.createAttempt(workspace, "att-1")
            #expect(created.status == .created)
            let dialed = try decode(CallAttempt.self, created)
            #expect(dialed.status == (outcome == .dnc ? .dnc : .calling))
            if outcome != .dnc { #expect(try await client.balance(workspace).held == 1) }
            if let event = Self.rows.first(where: { $0.outcome == outcome })?.event {
                let response = try await client.sendEvent(workspace, "att-1", eventId: "evt-1", event)
                #expect(response.status == .ok)
            } else if outcome == .cancelled {
                let response = try await client.send(.post, "/v1/attempts/att-1/cancel", token: workspace.secret)
                #expect(response.status == .ok)
            }
            let attempt = try await client.attempt(workspace, "att-1")
            #expect(attempt.status == outcome.status && attempt.outcome == outcome)
            #expect(attempt.creditsCharged == outcome.credits)
            let balance = try await client.balance(workspace)
            #expect(balance.available == 5 - outcome.credits && balance.held == 0)
            let row = try await client.usageToday(workspace).byOutcome.first { $0.outcome == outcome }
            #expect(row?.attempts == 1 && row?.credits == outcome.credits.count)
            #expect(row?.refunded == outcome.isRefunded)
            #expect(row?.refundedCredits == (outcome == .failed || outcome == .cancelled ? 1 : 0))
        }
    }

    @Test func aRepeatedEventIdIsReplayedAndChargesOnce() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 5)
            _ = try await client.createAttempt(workspace, "att-1")
            let event = #""type": "connected", "party": "person""#
            let first = try await client.sendEvent(workspace, "att-1", eventId: "evt-1", event)
            let again = try await client.sendEvent(workspace, "att-1", eventId: "evt-1", event)
            #expect(first.status == .ok && again.status == .ok)
            #expect(again.headers[.idempotentReplayed] == "true" && first.headers[.idempotentReplayed] == nil)
            #expect(try decode(AttemptUpdateView.self, first).ledgerAction == .capture)
            // A different event id with the same meaning is a duplicate: no second charge either.
            let duplicate = try await client.sendEvent(workspace, "att-1", eventId: "evt-2", event)
            #expect(try decode(AttemptUpdateView.self, duplicate).disposition == .duplicate)
            #expect(try await client.balance(workspace).available == 4)
            let conflict = try await client.sendEvent(workspace, "att-1", eventId: "evt-1", #""type": "failed""#)
            #expect(conflict.status == .conflict)
            #expect(try errorBody(conflict).code == "idempotency_conflict")
        }
    }

    @Test func outOfOrderAndLateEventsNeverChargeTwiceOrMoveAFinalStatus() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 5)
            _ = try await client.createAttempt(workspace, "att-1")
            let done = try await client.sendEvent(
                workspace, "att-1", eventId: "e1", #""type": "completed", "outcome": "missed_voicemail_left""#)
            #expect(try decode(AttemptUpdateView.self, done).ledgerAction == .capture)
            let lateConnect = try await client.sendEvent(
                workspace, "att-1", eventId: "e2", #""type": "connected", "party": "machine""#)
            #expect(try decode(AttemptUpdateView.self, lateConnect).disposition == .afterFinal)
            let lateFail = try await client.sendEvent(workspace, "att-1", eventId: "e3", #""type": "failed""#)
            let view = try decode(AttemptUpdateView.self, lateFail)
            #expect(view.attempt.status == .missed && view.ledgerAction == .none)
            #expect(try await client.balance(workspace).available == 4)
            let entries = try await client.send(.get, "/v1/entries?attemptId=att-1", token: workspace.secret)
            let kinds = try decode(EntryPage.self, entries).entries.map(\.kind)
            #expect(kinds.filter { $0 == .capture }.count == 1)
        }
    }

    @Test func aLateConnectAfterTheHoldTimeoutIsStillChargedAndFlagged() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 2)
            _ = try await client.createAttempt(workspace, "att-1", extra: #", "holdTimeoutSeconds": 30"#)
            harness.clock.advance(seconds: 31)
            let sweeper = HoldSweeper(store: harness.store, intervalSeconds: 3600, logger: quietLogger)
            #expect(try await sweeper.sweepOnce().released == 1)
            let timedOut = try await client.attempt(workspace, "att-1")
            #expect(timedOut.status == .calling && timedOut.needsReconciliation)
            #expect(try await client.balance(workspace).available == 2)
            let late = try await client.sendEvent(
                workspace, "att-1", eventId: "e1", #""type": "completed", "outcome": "answered_full_conversation""#)
            let view = try decode(AttemptUpdateView.self, late)
            #expect(view.attempt.status == .answered && view.attempt.creditsCharged == 1)
            #expect(try await client.balance(workspace).available == 1)
            let flagged = try await client.send(
                .get, "/v1/attempts?needsReconciliation=true", token: workspace.secret)
            #expect(try decode(AttemptPage.self, flagged).attempts.map(\.id) == ["att-1"])
        }
    }

    @Test func anEventForAnUnknownAttemptIsRefusedWithUnknownAttempt() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.sendEvent(workspace, "nope", eventId: "e1", #""type": "failed""#)
            #expect(response.status == .notFound)
            #expect(try errorBody(response).code == "unknown_attempt")
            let other = try await client.createWorkspace(name: "Other")
            try await client.grant(other, amount: 1)
            _ = try await client.createAttempt(other, "theirs")
            let foreign = try await client.sendEvent(workspace, "theirs", eventId: "e1", #""type": "failed""#)
            #expect(foreign.status == .notFound)
            #expect(try await client.attempt(other, "theirs").status == .calling)
        }
    }

    @Test func anEventThatCannotHappenYetIsAConflictAndABadEventIsInvalid() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            _ = try await client.createAttempt(workspace, "att-1", extra: #", "dial": false"#)
            let early = try await client.sendEvent(workspace, "att-1", eventId: "e1", #""type": "connected""#)
            #expect(early.status == .conflict)
            #expect(try errorBody(early).code == "invalid_attempt_event")
            let bad = try await client.sendEvent(workspace, "att-1", eventId: "e2", #""type": "exploded""#)
            #expect(bad.status == .unprocessableContent)
            let noCredits = try await client.sendEvent(workspace, "att-1", eventId: "e3", #""type": "dialing_started""#)
            #expect(noCredits.status == .paymentRequired)
            #expect(try errorBody(noCredits).retryable)
            #expect(try await client.attempt(workspace, "att-1").status == .waiting)
        }
    }

    @Test func aSingleCallWithoutCreditsIsRecordedCancelled() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.createAttempt(workspace, "att-1")
            #expect(response.status == .created)
            let attempt = try decode(CallAttempt.self, response)
            #expect(attempt.status == .cancelled && attempt.reason == "out_of_credits")
            let replay = try await client.createAttempt(workspace, "att-1")
            #expect(replay.status == .ok && replay.headers[.idempotentReplayed] == "true")
            let conflict = try await client.createAttempt(workspace, "att-1", number: "+14155550199")
            #expect(conflict.status == .conflict)
        }
    }

    @Test func attemptsAreListedWithFiltersAndANumberIsNormalised() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 5)
            _ = try await client.createAttempt(workspace, "a1", number: "415-555-0100", extra: #", "campaignId": "c1""#)
            _ = try await client.createAttempt(workspace, "a2", extra: #", "campaignId": "c1", "dial": false"#)
            _ = try await client.createAttempt(workspace, "a3")
            let listed = try await client.send(
                .get, "/v1/attempts?campaignId=c1&status=waiting,calling&limit=1", token: workspace.secret)
            let page = try decode(AttemptPage.self, listed)
            #expect(page.attempts.map(\.id) == ["a1"] && page.nextCursor == "a1")
            #expect(page.attempts.first?.phoneNumber == "+14155550100")
            let next = try await client.send(
                .get, "/v1/attempts?campaignId=c1&status=waiting,calling&cursor=a1", token: workspace.secret)
            #expect(try decode(AttemptPage.self, next).attempts.map(\.id) == ["a2"])
            let badStatus = try await client.send(.get, "/v1/attempts?status=ringing", token: workspace.secret)
            #expect(badStatus.status == .unprocessableContent)
            let badNumber = try await client.createAttempt(workspace, "a4", number: "call me")
            #expect(badNumber.status == .unprocessableContent)
        }
    }
}
