/// The attempt state machine as a pure function: a store loads the attempt, asks here what an event
/// does, performs the returned ledger action and saves the new state in one transaction.
///
/// Events arrive twice, late and out of order. The rules that make that safe:
/// - a credit is charged at most once: `capture` is returned only while the charge is `held` or
///   `releasedByTimeout`, and the new state's charge is then `captured`;
/// - a final status never moves; later events are `afterFinal` and change nothing but, for a call that
///   connected after it ended, the reconciliation flag;
/// - a hold timeout releases the credit but leaves the attempt open (Calling, needs reconciliation),
///   so a late "connected" is still charged and a late "failed" still closes it;
/// - once connected, the credit is spent: a later failed or cancelled closes the attempt as the
///   connected party's shortest row (answered and hung up immediately, or missed with no voicemail).
public enum AttemptRules {
    /// Applies `event` to an attempt in `state`.
    public static func apply(_ event: AttemptEvent, to state: AttemptState) throws(CallRefusal) -> AttemptTransition {
        if state.status.isFinal { return afterFinal(event, state) }
        switch state.status {
        case .waiting: return try fromWaiting(event, state)
        default: return try fromCalling(event, state)
        }
    }

    private static func fromWaiting(_ event: AttemptEvent, _ state: AttemptState) throws(CallRefusal)
        -> AttemptTransition
    {
        precondition(state.charge == .none, "a waiting attempt holds no credit")
        switch event {
        case .dncFiltered, .completed(.dnc):
            return end(state, .dnc, action: .none)
        case .dialingStarted:
            var next = state
            next.status = .calling
            next.charge = .held
            return AttemptTransition(state: next, action: .hold, disposition: .applied)
        case .cancelled, .completed(.cancelled):
            return end(state, .cancelled, action: .none)
        case .connected, .completed, .failed, .holdTimeout:
            throw CallRefusal(
                .invalidAttemptEvent, "the attempt was never dialed: \(describe(event)) needs dialing to start first")
        }
    }

    private static func fromCalling(_ event: AttemptEvent, _ state: AttemptState) throws(CallRefusal)
        -> AttemptTransition
    {
        let connected = state.charge == .captured
        switch event {
        case .dncFiltered, .completed(.dnc):
            throw CallRefusal(
                .invalidAttemptEvent, "the attempt is already dialed; a DNC filter applies before dialing")
        case .dialingStarted:
            return AttemptTransition(state: state, action: .none, disposition: .duplicate)
        case .connected(let party):
            var next = state
            if connected {
                // A repeat; a more precise party than "unknown" is kept for the final row.
                if next.connectedParty == .unknown || next.connectedParty == nil { next.connectedParty = party }
                return AttemptTransition(state: next, action: .none, disposition: .duplicate)
            }
            next.charge = .captured
            next.connectedParty = party
            return AttemptTransition(state: next, action: .capture, disposition: .applied)
        case .completed(let outcome) where outcome.isConnected:
            var next = state
            if next.connectedParty == nil || next.connectedParty == .unknown {
                next.connectedParty = outcome.status == .answered ? .person : .machine
            }
            next.charge = .captured
            return end(next, outcome, action: connected ? .none : .capture)
        case .failed, .completed(.failed):
            return notConnected(state, .failed)
        case .cancelled, .completed(.cancelled):
            return notConnected(state, .cancelled)
        case .completed:
            preconditionFailure("every outcome is handled above")
        case .holdTimeout:
            guard state.charge == .held else {
                return AttemptTransition(state: state, action: .none, disposition: .duplicate)
            }
            var next = state
            next.charge = .releasedByTimeout
            next.needsReconciliation = true
            return AttemptTransition(state: next, action: .release, disposition: .applied)
        }
    }

    /// A failed or cancelled event for a dialed attempt.
    private static func notConnected(_ state: AttemptState, _ outcome: CallOutcome) -> AttemptTransition {
        switch state.charge {
        case .held:
            var next = state
            next.charge = .released
            return end(next, outcome, action: .release)
        case .releasedByTimeout:
            // The timeout already refunded the credit; the outcome explains what happened.
            var next = state
            next.needsReconciliation = false
            return end(next, outcome, action: .none)
        case .captured:
            // Connected already: the credit is spent, so the attempt ends as a connected row.
            let row: CallOutcome =
                state.connectedParty == .person ? .answeredHungUpImmediately : .missedNoVoicemail
            return end(state, row, action: .none)
        case .none, .released:
            preconditionFailure("a calling attempt has a held, captured or timed-out credit, not \(state.charge)")
        }
    }

    /// Events for an attempt whose status is final move nothing. A call that connected after the attempt
    /// was closed without a charge is flagged for reconciliation: it is not charged, and not forgotten.
    private static func afterFinal(_ event: AttemptEvent, _ state: AttemptState) -> AttemptTransition {
        var next = state
        let connectedLate: Bool
        switch event {
        case .connected: connectedLate = true
        case .completed(let outcome): connectedLate = outcome.isConnected
        default: connectedLate = false
        }
        if connectedLate && state.charge != .captured && state.status != .dnc {
            next.needsReconciliation = true
        }
        return AttemptTransition(state: next, action: .none, disposition: .afterFinal)
    }

    private static func end(_ state: AttemptState, _ outcome: CallOutcome, action: AttemptLedgerAction)
        -> AttemptTransition
    {
        precondition(outcome.status.isFinal)
        var next = state
        next.status = outcome.status
        next.outcome = outcome
        return AttemptTransition(state: next, action: action, disposition: .applied)
    }

    private static func describe(_ event: AttemptEvent) -> String {
        switch event {
        case .dncFiltered: "dnc_filtered"
        case .dialingStarted: "dialing_started"
        case .connected: "connected"
        case .completed(let outcome): "completed (\(outcome.rawValue))"
        case .failed: "failed"
        case .cancelled: "cancelled"
        case .holdTimeout: "hold_timeout"
        }
    }
}
