import CreditsCore
import Testing

/// The seed's cost table, one test per row, and the attempt rules for repeated, late and out-of-order events.
@Suite("Call outcomes")
struct CallOutcomeTests {
    /// Drives an attempt through `events` from Waiting; returns the final state and every ledger action.
    func run(_ events: [AttemptEvent], from start: AttemptState = .waiting) throws -> (
        AttemptState, [AttemptLedgerAction]
    ) {
        var state = start
        var actions: [AttemptLedgerAction] = []
        for event in events {
            let transition = try AttemptRules.apply(event, to: state)
            state = transition.state
            if transition.action != .none { actions.append(transition.action) }
        }
        return (state, actions)
    }

    /// Credits an attempt's actions charge in the end.
    func charged(_ actions: [AttemptLedgerAction]) -> Int {
        actions.filter { $0 == .capture }.count
    }

    @Test("the table has exactly the seed's seven rows")
    func sevenRows() {
        #expect(CallOutcome.allCases.count == 7)
        #expect(CallOutcome.allCases.map(\.credits) == [1, 1, 1, 1, 0, 0, 0])
    }

    @Test("answered, full conversation: Answered, 1 credit, captured")
    func answeredFullConversation() throws {
        let row = CallOutcome.answeredFullConversation
        #expect(row.status == .answered && row.credits == 1 && row.ledgerAction == .capture)
        let (state, actions) = try run([.dialingStarted, .connected(.person), .completed(row)])
        #expect(state.status == .answered && state.outcome == row && actions == [.hold, .capture])
    }

    @Test("answered, contact hung up immediately: Answered, 1 credit, captured")
    func answeredHungUpImmediately() throws {
        let row = CallOutcome.answeredHungUpImmediately
        #expect(row.status == .answered && row.credits == 1 && row.ledgerAction == .capture)
        let (state, actions) = try run([.dialingStarted, .connected(.person), .completed(row)])
        #expect(state.status == .answered && actions == [.hold, .capture])
    }

    @Test("missed, voicemail left: Missed, 1 credit, captured")
    func missedVoicemailLeft() throws {
        let row = CallOutcome.missedVoicemailLeft
        #expect(row.status == .missed && row.credits == 1 && row.ledgerAction == .capture)
        let (state, actions) = try run([.dialingStarted, .connected(.machine), .completed(row)])
        #expect(state.status == .missed && actions == [.hold, .capture])
    }

    @Test("missed, no voicemail: Missed, 1 credit, captured")
    func missedNoVoicemail() throws {
        let row = CallOutcome.missedNoVoicemail
        #expect(row.status == .missed && row.credits == 1 && row.ledgerAction == .capture)
        let (state, actions) = try run([.dialingStarted, .connected(.machine), .completed(row)])
        #expect(state.status == .missed && actions == [.hold, .capture])
    }

    @Test("failed to connect: Failed, 0 credits, the hold released")
    func failedRefunded() throws {
        #expect(CallOutcome.failed.credits == 0 && CallOutcome.failed.isRefunded)
        #expect(CallOutcome.failed.ledgerAction == .release)
        let (state, actions) = try run([.dialingStarted, .failed])
        #expect(state.status == .failed && state.charge == .released && actions == [.hold, .release])
    }

    @Test("cancelled before connection: Cancelled, 0 credits, the hold released")
    func cancelledRefunded() throws {
        #expect(CallOutcome.cancelled.credits == 0 && CallOutcome.cancelled.ledgerAction == .release)
        let (state, actions) = try run([.dialingStarted, .cancelled])
        #expect(state.status == .cancelled && actions == [.hold, .release])
    }

    @Test("number on the DNC list: DNC, 0 credits, never dialed so nothing held")
    func dncNeverHeld() throws {
        #expect(CallOutcome.dnc.credits == 0 && CallOutcome.dnc.ledgerAction == .none)
        let (state, actions) = try run([.dncFiltered])
        #expect(state.status == .dnc && state.charge == .none && actions.isEmpty)
    }

    @Test("a cancelled attempt that was never dialed holds and releases nothing")
    func cancelledWhileWaiting() throws {
        let (state, actions) = try run([.cancelled])
        #expect(state.status == .cancelled && actions.isEmpty)
    }

    @Test("the same connected or completed event twice charges once")
    func duplicatesChargeOnce() throws {
        let (state, actions) = try run([
            .dialingStarted, .dialingStarted, .connected(.person), .connected(.person),
            .completed(.answeredFullConversation), .completed(.answeredFullConversation), .connected(.person),
        ])
        #expect(state.status == .answered && charged(actions) == 1 && actions == [.hold, .capture])
    }

    @Test("a completed event without a connected event before it charges once")
    func completedAloneCharges() throws {
        let (state, actions) = try run([.dialingStarted, .completed(.missedVoicemailLeft), .connected(.machine)])
        #expect(state.status == .missed && actions == [.hold, .capture])
    }

    @Test("a final status never moves: events after it change nothing")
    func finalStatusStays() throws {
        let answered = try run([.dialingStarted, .completed(.answeredFullConversation)]).0
        for event: AttemptEvent in [.failed, .cancelled, .holdTimeout, .completed(.missedNoVoicemail), .dialingStarted]
        {
            let transition = try AttemptRules.apply(event, to: answered)
            #expect(transition.state == answered && transition.action == .none)
            #expect(transition.disposition == .afterFinal)
        }
    }

    @Test("a failed event after connected keeps the charge and ends as a connected row")
    func failedAfterConnected() throws {
        let (state, actions) = try run([.dialingStarted, .connected(.person), .failed])
        #expect(state.status == .answered && state.outcome == .answeredHungUpImmediately)
        #expect(actions == [.hold, .capture])
    }

    @Test("a hold timeout releases the credit and marks the attempt, which stays open")
    func timeoutReleases() throws {
        let (state, actions) = try run([.dialingStarted, .holdTimeout, .holdTimeout])
        #expect(state.status == .calling && state.charge == .releasedByTimeout && state.needsReconciliation)
        #expect(actions == [.hold, .release])
    }

    @Test("a late connected after a hold timeout is still charged, once")
    func lateConnectedAfterTimeoutCharged() throws {
        let (state, actions) = try run([
            .dialingStarted, .holdTimeout, .connected(.person), .completed(.answeredFullConversation),
        ])
        #expect(state.status == .answered && state.charge == .captured)
        #expect(actions == [.hold, .release, .capture])
    }

    @Test("a late failed after a hold timeout ends the attempt without a second release")
    func lateFailedAfterTimeout() throws {
        let (state, actions) = try run([.dialingStarted, .holdTimeout, .failed])
        #expect(state.status == .failed && !state.needsReconciliation && actions == [.hold, .release])
    }

    @Test("a connected event after a final uncharged status is flagged, not charged")
    func connectedAfterCancelledFlagged() throws {
        let (state, actions) = try run([.dialingStarted, .cancelled, .connected(.person)])
        #expect(state.status == .cancelled && state.needsReconciliation && actions == [.hold, .release])
    }

    @Test("connected for an attempt never dialed is refused with invalid_attempt_event")
    func connectedBeforeDialingRefused() {
        #expect(throws: CallRefusal.self) { try AttemptRules.apply(.connected(.person), to: .waiting) }
        do {
            _ = try AttemptRules.apply(.holdTimeout, to: .waiting)
            Issue.record("a timeout without a hold must be refused")
        } catch {
            #expect(error.code == .invalidAttemptEvent)
        }
    }

    @Test("a DNC filter for an attempt already dialed is refused")
    func dncAfterDialingRefused() throws {
        let calling = try run([.dialingStarted]).0
        #expect(throws: CallRefusal.self) { try AttemptRules.apply(.dncFiltered, to: calling) }
    }

    @Test("every order of one attempt's events charges at most once and ends in at most one final status")
    func everyOrderChargesAtMostOnce() {
        let events: [AttemptEvent] = [
            .connected(.person), .completed(.answeredFullConversation), .failed, .holdTimeout, .cancelled,
        ]
        for order in permutations(events) {
            var state = (try? AttemptRules.apply(.dialingStarted, to: .waiting).state) ?? .waiting
            var captures = 0
            var finals: [AttemptStatus] = []
            for event in order + order {
                guard let transition = try? AttemptRules.apply(event, to: state) else { continue }
                if transition.action == .capture { captures += 1 }
                if state.status.isFinal { #expect(transition.state.status == state.status) }
                state = transition.state
                if state.status.isFinal && finals.last != state.status { finals.append(state.status) }
            }
            #expect(captures <= 1, "order \(order)")
            #expect(finals.count == 1, "order \(order)")
        }
    }

    private func permutations(_ items: [AttemptEvent]) -> [[AttemptEvent]] {
        guard items.count > 1 else { return [items] }
        var result: [[AttemptEvent]] = []
        for (index, item) in items.enumerated() {
            var rest = items
            rest.remove(at: index)
            for tail in permutations(rest) { result.append([item] + tail) }
        }
        return result
    }
}
