import CreditsCore
import CreditsStore
import Foundation
import Testing

/// Call attempts on every backend: statuses and their ledger operations, events that repeat, come late
/// or out of order, hold timeouts, the Do Not Call list, listing, and the usage rollups.
@Suite("Call store conformance")
struct CallStoreConformanceTests {
    @Test("a new attempt waits and holds nothing; a repeat replays; other content conflicts", arguments: Backend.all)
    func createIsIdempotent(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let created = try await fixture.newAttempt("a1", campaign: "c1", recipient: "r1", position: 2)
        #expect(created.attempt.status == .waiting && !created.replayed)
        #expect(created.attempt.charge == .none && created.attempt.numberPosition == 2)
        #expect(try await fixture.store.hold(workspaceId: fixture.workspace, attemptId: "a1") == nil)
        let again = try await fixture.newAttempt("a1", campaign: "c1", recipient: "r1", position: 2)
        #expect(again.replayed && again.attempt == created.attempt)
        #expect(
            await fixture.code { try await fixture.newAttempt("a1", number: "+14155550199") } == "idempotency_conflict")
        #expect(try await fixture.attempt("a1") == created.attempt)
    }

    @Test("a number on the DNC list becomes DNC at once: never dialed, costs nothing", arguments: Backend.all)
    func dncAtCreation(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        try await fixture.store.addDoNotCall(
            workspaceId: fixture.workspace, [DoNotCallNumber(phoneNumber: "+14155550100")])
        let created = try await fixture.newAttempt("a1")
        #expect(created.attempt.status == .dnc && created.attempt.outcome == .dnc)
        #expect(created.attempt.reason == "dnc_listed" && created.attempt.endedAt != nil)
        let dialed = try await fixture.dial("a1")
        #expect(dialed.attempt.status == .dnc && dialed.disposition == .afterFinal && dialed.ledgerAction == .none)
        #expect(try await fixture.store.hold(workspaceId: fixture.workspace, attemptId: "a1") == nil)
        #expect(try await fixture.balance().available == 1)
    }

    @Test("a number listed after the attempt was created is filtered when dialing would start", arguments: Backend.all)
    func dncAtDialing(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        try await fixture.newAttempt("a1")
        try await fixture.store.addDoNotCall(
            workspaceId: fixture.workspace, [DoNotCallNumber(phoneNumber: "+14155550100")])
        let dialed = try await fixture.dial("a1")
        #expect(dialed.attempt.status == .dnc && dialed.ledgerAction == .none)
        #expect(try await fixture.balance().available == 1)
    }

    @Test("dialing holds one credit and moves the attempt to Calling, together", arguments: Backend.all)
    func dialingHolds(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(2)
        try await fixture.newAttempt("a1")
        let dialed = try await fixture.dial("a1")
        #expect(dialed.attempt.status == .calling && dialed.attempt.charge == .held && dialed.ledgerAction == .hold)
        #expect(dialed.attempt.dialedAt == fixture.clock.now())
        let balance = try await fixture.balance()
        #expect(balance.available == 1 && balance.held == 1)
        let again = try await fixture.dial("a1")
        #expect(again.disposition == .duplicate && again.ledgerAction == .none)
        #expect(try await fixture.balance().held == 1)
        try await fixture.expectClean()
    }

    @Test("out of credits: refused with the attempt left Waiting, or recorded Cancelled", arguments: Backend.all)
    func outOfCredits(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.newAttempt("a1")
        #expect(await fixture.code { try await fixture.dial("a1") } == "out_of_credits")
        #expect(try await fixture.attempt("a1")?.status == .waiting)
        try await fixture.newAttempt("a2", number: "+14155550101")
        let cancelled = try await fixture.dial("a2", whenOutOfCredits: .cancel)
        #expect(cancelled.attempt.status == .cancelled && cancelled.attempt.reason == "out_of_credits")
        #expect(cancelled.ledgerAction == .none)
        // Credits arrive: the refused attempt can now be dialed.
        try await fixture.grant(1)
        #expect(try await fixture.dial("a1").attempt.status == .calling)
    }

    @Test("each row of the cost table ends with its status and cost", arguments: Backend.all)
    func costTable(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(10)
        for (index, outcome) in CallOutcome.allCases.enumerated() where outcome != .dnc {
            let id = "a\(index)"
            try await fixture.newAttempt(id, number: "+1415555010\(index)")
            if outcome != .cancelled || index % 2 == 0 { try await fixture.dial(id) }
            let ended = try await fixture.event(id, "e\(index)", .completed(outcome))
            #expect(ended.attempt.status == outcome.status && ended.attempt.outcome == outcome)
            #expect(ended.attempt.creditsCharged == outcome.credits, "\(outcome)")
        }
        let balance = try await fixture.balance()
        #expect(balance.available == 6 && balance.held == 0)
        try await fixture.expectClean()
    }

    @Test(
        "connected captures once; the final row then closes the attempt without a second charge", arguments: Backend.all
    )
    func connectedThenCompleted(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(3)
        try await fixture.newAttempt("a1")
        try await fixture.dial("a1")
        let connected = try await fixture.event("a1", "e1", .connected(.person))
        #expect(connected.ledgerAction == .capture && connected.attempt.charge == .captured)
        #expect(connected.attempt.status == .calling && connected.attempt.creditsCharged == 1)
        let again = try await fixture.event("a1", "e2", .connected(.person))
        #expect(again.ledgerAction == .none && again.disposition == .duplicate)
        let done = try await fixture.event("a1", "e3", .completed(.answeredFullConversation))
        #expect(done.attempt.status == .answered && done.ledgerAction == .none)
        #expect(try await fixture.balance().available == 2)
        let captures = try await fixture.store.entries(EntryQuery(workspaceId: fixture.workspace, attemptId: "a1"))
            .entries.filter { $0.kind == .capture }
        #expect(captures.count == 1)
        try await fixture.expectClean()
    }

    @Test("failed and cancelled release the held credit", arguments: Backend.all)
    func failedAndCancelledRelease(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(2)
        try await fixture.newAttempt("a1")
        try await fixture.newAttempt("a2", number: "+14155550101")
        try await fixture.dial("a1")
        try await fixture.dial("a2")
        let failed = try await fixture.event("a1", "e1", .failed)
        #expect(failed.attempt.status == .failed && failed.ledgerAction == .release)
        let cancelled = try await fixture.store.cancelAttempt(
            workspaceId: fixture.workspace, attemptId: "a2", reason: "user asked")
        #expect(cancelled.attempt.status == .cancelled && cancelled.attempt.reason == "user asked")
        #expect(
            try await fixture.store.hold(workspaceId: fixture.workspace, attemptId: "a2")?.releaseReason == .cancelled)
        let balance = try await fixture.balance()
        #expect(balance.available == 2 && balance.held == 0)
        try await fixture.expectClean()
    }

    @Test(
        "an event id repeats as a replay; the same id with another event or on another attempt is a conflict",
        arguments: Backend.all)
    func eventIdempotency(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(2)
        try await fixture.newAttempt("a1")
        try await fixture.dial("a1")
        try await fixture.newAttempt("a2", number: "+14155550101")
        try await fixture.dial("a2")
        let first = try await fixture.event("a1", "evt-1", .completed(.missedVoicemailLeft))
        let replay = try await fixture.event("a1", "evt-1", .completed(.missedVoicemailLeft))
        #expect(replay.replayed && !first.replayed)
        #expect(replay.attempt == first.attempt && replay.ledgerAction == .capture)
        #expect(await fixture.code { try await fixture.event("a1", "evt-1", .failed) } == "idempotency_conflict")
        // The id is the workspace's: the same event for another attempt is refused and changes nothing.
        #expect(
            await fixture.code { try await fixture.event("a2", "evt-1", .completed(.missedVoicemailLeft)) }
                == "idempotency_conflict")
        #expect(try await fixture.attempt("a2")?.status == .calling)
        #expect(try await fixture.balance().available == 0)
        let events = try await fixture.store.attemptEvents(workspaceId: fixture.workspace, attemptId: "a1")
        #expect(events.map(\.eventId) == [SystemEventID.dial("a1"), "evt-1"])
        #expect(try await fixture.store.attemptEvents(workspaceId: fixture.workspace, attemptId: "a2").count == 1)
        #expect(try await fixture.balance().held == 1)
    }

    @Test("events in any order charge exactly once and a final status never moves", arguments: Backend.all)
    func outOfOrder(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(5)
        try await fixture.newAttempt("a1")
        try await fixture.dial("a1")
        // The final row arrives before "connected"; then "connected", "failed" and a duplicate final row.
        let done = try await fixture.event("a1", "e1", .completed(.answeredHungUpImmediately))
        #expect(done.ledgerAction == .capture && done.attempt.status == .answered)
        let late = try await fixture.event("a1", "e2", .connected(.person))
        #expect(late.disposition == .afterFinal && late.ledgerAction == .none)
        let failed = try await fixture.event("a1", "e3", .failed)
        #expect(failed.attempt.status == .answered && failed.attempt.outcome == .answeredHungUpImmediately)
        // Failed first, then a connect that comes too late: not charged, flagged, still Failed.
        try await fixture.newAttempt("a2", number: "+14155550101")
        try await fixture.dial("a2")
        try await fixture.event("a2", "f1", .failed)
        let after = try await fixture.event("a2", "f2", .completed(.answeredFullConversation))
        #expect(after.attempt.status == .failed && after.attempt.needsReconciliation && after.ledgerAction == .none)
        #expect(try await fixture.balance().available == 4)
        try await fixture.expectClean()
    }

    @Test("an event for an unknown attempt is refused; one that cannot happen yet is refused", arguments: Backend.all)
    func refusedEvents(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        #expect(await fixture.code { try await fixture.event("nope", "e1", .failed) } == "unknown_attempt")
        try await fixture.newAttempt("a1")
        #expect(
            await fixture.code { try await fixture.event("a1", "e1", .connected(.person)) } == "invalid_attempt_event")
        #expect(try await fixture.attempt("a1")?.status == .waiting)
        // A refused event id is not spent: it can be used once the event makes sense.
        try await fixture.grant(1)
        try await fixture.dial("a1")
        #expect(try await fixture.event("a1", "e1", .connected(.person)).ledgerAction == .capture)
    }

    @Test(
        "a hold timeout leaves the attempt Calling for reconciliation; a late connect is still charged",
        arguments: Backend.all)
    func timeoutThenLateConnect(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(2)
        try await fixture.newAttempt("a1")
        try await fixture.dial("a1", timeoutSeconds: 30)
        fixture.clock.advance(seconds: 31)
        #expect(try await fixture.store.releaseTimedOutHolds(limit: 10).count == 1)
        let timedOut = try #require(try await fixture.attempt("a1"))
        #expect(timedOut.status == .calling && timedOut.charge == .releasedByTimeout && timedOut.needsReconciliation)
        #expect(try await fixture.balance().available == 2)
        let late = try await fixture.event("a1", "e1", .connected(.machine))
        #expect(late.ledgerAction == .capture && late.attempt.creditsCharged == 1 && !late.attempt.uncollected)
        let done = try await fixture.event("a1", "e2", .completed(.missedNoVoicemail))
        #expect(done.attempt.status == .missed && done.attempt.creditsCharged == 1)
        #expect(try await fixture.balance().available == 1)
        let flagged = try await fixture.store.attempts(
            AttemptQuery(workspaceId: fixture.workspace, needsReconciliation: true))
        #expect(flagged.attempts.map(\.id) == ["a1"])
        try await fixture.expectClean()
    }

    @Test("a late connect after a timeout with nothing left is recorded as uncollected", arguments: Backend.all)
    func lateConnectUncollected(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        try await fixture.newAttempt("a1")
        try await fixture.newAttempt("a2", number: "+14155550101")
        try await fixture.dial("a1", timeoutSeconds: 30)
        fixture.clock.advance(seconds: 31)
        _ = try await fixture.store.releaseTimedOutHolds(limit: 10)
        try await fixture.dial("a2")  // takes the credit the timeout gave back
        let late = try await fixture.event("a1", "e1", .completed(.answeredFullConversation))
        #expect(late.attempt.status == .answered && late.attempt.uncollected && late.attempt.creditsCharged == 0)
        #expect(try await fixture.store.hold(workspaceId: fixture.workspace, attemptId: "a1")?.state == .uncollected)
        try await fixture.expectClean()
    }

    @Test("a late failed after a timeout closes the attempt without touching the ledger again", arguments: Backend.all)
    func timeoutThenFailed(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        try await fixture.newAttempt("a1")
        try await fixture.dial("a1", timeoutSeconds: 30)
        fixture.clock.advance(seconds: 31)
        _ = try await fixture.store.releaseTimedOutHolds(limit: 10)
        let failed = try await fixture.event("a1", "e1", .failed)
        #expect(failed.attempt.status == .failed && !failed.attempt.needsReconciliation && failed.ledgerAction == .none)
        #expect(try await fixture.balance().available == 1)
        try await fixture.expectClean()
    }

    @Test("an attempt whose hold the ledger routes released follows at the reconciliation pass", arguments: Backend.all)
    func reconcileAfterLedgerRelease(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        try await fixture.newAttempt("a1")
        try await fixture.dial("a1")
        try await fixture.store.release(workspaceId: fixture.workspace, attemptId: "a1", reason: .released)
        let repaired = try await fixture.store.reconcileAttempts(limit: 10)
        #expect(repaired.map(\.id) == ["a1"])
        #expect(repaired.first?.charge == .releasedByTimeout && repaired.first?.needsReconciliation == true)
        #expect(try await fixture.store.reconcileAttempts(limit: 10).isEmpty)
        #expect(try await fixture.event("a1", "e1", .cancelled).attempt.status == .cancelled)
        try await fixture.expectClean()
    }

    @Test("cancelling a campaign's waiting attempts leaves the dialed ones to their events", arguments: Backend.all)
    func cancelWaiting(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        try await fixture.newAttempt("a1", campaign: "c1")
        try await fixture.newAttempt("a2", number: "+14155550101", campaign: "c1")
        try await fixture.newAttempt("a3", number: "+14155550102", campaign: "c2")
        try await fixture.dial("a1")
        let cancelled = try await fixture.store.cancelWaitingAttempts(
            workspaceId: fixture.workspace, campaignId: "c1", reason: "campaign_cancelled", limit: 100)
        #expect(cancelled.map(\.id) == ["a2"] && cancelled.first?.reason == "campaign_cancelled")
        #expect(try await fixture.attempt("a1")?.status == .calling)
        #expect(try await fixture.attempt("a3")?.status == .waiting)
    }

    @Test("attempts list in id order with filters and a cursor", arguments: Backend.all)
    func listing(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        for index in 1...5 {
            try await fixture.newAttempt("a\(index)", number: "+1415555010\(index)", campaign: index <= 3 ? "c1" : nil)
        }
        try await fixture.dial("a2")
        let first = try await fixture.store.attempts(AttemptQuery(workspaceId: fixture.workspace, limit: 2))
        #expect(first.attempts.map(\.id) == ["a1", "a2"] && first.nextCursor == "a2")
        let rest = try await fixture.store.attempts(AttemptQuery(workspaceId: fixture.workspace, limit: 5, after: "a2"))
        #expect(rest.attempts.map(\.id) == ["a3", "a4", "a5"] && rest.nextCursor == nil)
        let campaign = try await fixture.store.attempts(
            AttemptQuery(workspaceId: fixture.workspace, campaignId: "c1", statuses: [.waiting]))
        #expect(campaign.attempts.map(\.id) == ["a1", "a3"])
        let other = try await fixture.another()
        #expect(try await other.store.attempts(AttemptQuery(workspaceId: other.workspace)).attempts.isEmpty)
        #expect(try await other.store.attempt(workspaceId: other.workspace, attemptId: "a1") == nil)
    }

    @Test("attempts read by id: the workspace's existing ones, each once; too many ids refused", arguments: Backend.all)
    func attemptsById(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        try await fixture.newAttempt("a1")
        try await fixture.newAttempt("a2", number: "+14155550101")
        try await fixture.dial("a2")
        let other = try await fixture.another()
        try await other.newAttempt("a3")
        let found = try await fixture.store.attempts(
            workspaceId: fixture.workspace, ids: ["a2", "a1", "a3", "zz", "a1"])
        #expect(found.map(\.id).sorted() == ["a1", "a2"])
        #expect(found.first { $0.id == "a2" }?.status == .calling)
        #expect(try await fixture.store.attempts(workspaceId: fixture.workspace, ids: []).isEmpty)
        let tooMany = (0...Limits.attemptBatchMax).map { "a\($0)" }
        #expect(
            await fixture.code { try await fixture.store.attempts(workspaceId: fixture.workspace, ids: tooMany) }
                == "invalid_request")
    }

    @Test("the Do Not Call list: add, remove, match and page on E.164", arguments: Backend.all)
    func doNotCallList(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let store = fixture.store
        let numbers = ["+14155550102", "+14155550100", "+14155550101"].map { DoNotCallNumber(phoneNumber: $0) }
        #expect(try await store.addDoNotCall(workspaceId: fixture.workspace, numbers) == 3)
        #expect(try await store.addDoNotCall(workspaceId: fixture.workspace, [numbers[0]]) == 0)
        let matches = try await store.doNotCallMatches(
            workspaceId: fixture.workspace, numbers: ["+14155550100", "+14155550199"])
        #expect(matches == ["+14155550100"])
        let page = try await store.doNotCallList(workspaceId: fixture.workspace, after: nil, limit: 2)
        #expect(
            page.numbers.map(\.phoneNumber) == ["+14155550100", "+14155550101"] && page.nextCursor == "+14155550101")
        #expect(
            try await store.removeDoNotCall(workspaceId: fixture.workspace, numbers: ["+14155550100", "+14155550199"])
                == 1)
        #expect(
            await fixture.code {
                try await store.addDoNotCall(
                    workspaceId: fixture.workspace, [DoNotCallNumber(phoneNumber: "4155550100")])
            } == "invalid_request")
        let other = try await fixture.another()
        #expect(try await store.doNotCallMatches(workspaceId: other.workspace, numbers: ["+14155550101"]).isEmpty)
    }
}

extension Fixture {
    @discardableResult
    func newAttempt(
        _ id: AttemptID, number: String = "+14155550100", campaign: CampaignID? = nil, recipient: RecipientID? = nil,
        position: Int? = nil, wallet: WalletID? = nil
    ) async throws -> AttemptUpdate {
        let new = NewAttempt(
            id: id, walletId: wallet ?? pool, campaignId: campaign, recipientId: recipient, numberPosition: position,
            phoneNumber: number)
        return try #require(try await store.createAttempts(workspaceId: workspace, [new]).first)
    }

    @discardableResult
    func dial(
        _ id: AttemptID, timeoutSeconds: Int = 60, whenOutOfCredits: OutOfCreditsPolicy = .refuse
    ) async throws -> AttemptUpdate {
        try await store.startDialing(
            DialCommand(
                workspaceId: workspace, attemptId: id, holdTimeoutSeconds: timeoutSeconds,
                whenOutOfCredits: whenOutOfCredits))
    }

    @discardableResult
    func event(_ id: AttemptID, _ eventId: String, _ event: AttemptEvent) async throws -> AttemptUpdate {
        try await store.applyEvent(
            AttemptEventCommand(workspaceId: workspace, attemptId: id, eventId: eventId, event: event))
    }

    func attempt(_ id: AttemptID) async throws -> CallAttempt? {
        try await store.attempt(workspaceId: workspace, attemptId: id)
    }

    /// The refusal code (ledger or call rules) `body` throws, or nil when it succeeds.
    func code<T>(_ body: () async throws -> T) async -> String? {
        do {
            _ = try await body()
            return nil
        } catch let refusal as any BusinessRefusal {
            return refusal.refusalCode
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }
}
