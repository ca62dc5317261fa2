import Foundation

/// What an attempt operation needs from the ledger, decided before any row is written: every backend
/// asks `AttemptStep.plan`, performs `ledgerAction` with `Ledger` on the rows it loaded (in the same
/// transaction), then asks `AttemptStep.finish` for the attempt to save and the usage to add.
public struct AttemptPlan: Hashable, Sendable {
    /// The attempt as loaded, brought in line with its hold (see `AttemptStep.aligned`).
    public var attempt: CallAttempt
    public var event: AttemptEvent
    public var transition: AttemptTransition

    /// The ledger operation the store performs.
    public var ledgerAction: AttemptLedgerAction { transition.action }
}

/// The attempt side of an attempt operation, as pure functions over loaded values.
public enum AttemptStep {
    /// The attempt brought in line with its hold, for an attempt whose hold the ledger moved without it
    /// (the `/v1/holds` routes act on the ledger alone; the sweeper's timeout release already updates the
    /// attempt in its own transaction). A hold that ended while the attempt thinks it is held:
    /// - captured (or uncollected): the call connected, party unknown;
    /// - released: the credit is back; the attempt stays open and is flagged for reconciliation, as after
    ///   a timeout (a late "connected" is charged anew only if the release was the timeout's).
    public static func aligned(_ attempt: CallAttempt, hold: Hold?) -> CallAttempt {
        guard attempt.charge == .held, let hold, hold.state != .held else { return attempt }
        var next = attempt
        switch hold.state {
        case .held:
            break
        case .captured, .uncollected:
            next.charge = .captured
            next.connectedParty = next.connectedParty ?? .unknown
            next.connectedAt = next.connectedAt ?? hold.endedAt
            next.creditsCharged = hold.state == .captured ? .one : .zero
            next.uncollected = hold.state == .uncollected
        case .released:
            next.charge = .releasedByTimeout
            next.needsReconciliation = true
        }
        next.updatedAt = max(next.updatedAt, hold.endedAt ?? next.updatedAt)
        return next
    }

    /// Applies `event` to the attempt (aligned with `hold` first). Refusals are thrown before anything is
    /// written.
    public static func plan(_ event: AttemptEvent, attempt: CallAttempt, hold: Hold?) throws(CallRefusal)
        -> AttemptPlan
    {
        let current = aligned(attempt, hold: hold)
        let transition = try AttemptRules.apply(event, to: current.state)
        return AttemptPlan(attempt: current, event: event, transition: transition)
    }

    /// The attempt to save after the plan's ledger action was performed (`hold` is the hold it left, nil
    /// when there is none), and the usage increment when the attempt has just ended.
    public static func finish(
        _ plan: AttemptPlan, hold: Hold?, reason: String? = nil, now: Date, timeZone: TimeZone
    ) -> (attempt: CallAttempt, usage: UsageRollupRow?) {
        let before = plan.attempt
        var next = before
        next.state = plan.transition.state
        guard plan.transition.disposition == .applied || next != before else { return (before, nil) }
        next.updatedAt = now
        if before.status == .waiting && next.status == .calling { next.dialedAt = now }
        switch plan.transition.action {
        case .capture:
            next.connectedAt = next.connectedAt ?? now
            // The ledger decides what was really charged: a late capture with nothing left is uncollected.
            let uncollected = hold?.state == .uncollected
            next.creditsCharged = uncollected ? .zero : .one
            next.uncollected = uncollected
        case .hold, .release, .none:
            break
        }
        if let reason, next.status.isFinal, !before.status.isFinal { next.reason = next.reason ?? reason }
        var usage: UsageRollupRow?
        if next.status.isFinal && !before.status.isFinal {
            next.endedAt = now
            usage = UsageRollupRow.increment(for: next, timeZone: timeZone)
        }
        return (next, usage)
    }

    /// A new attempt, Waiting or, when its number is on the Do Not Call list, DNC at once (with its usage).
    public static func create(
        _ new: NewAttempt, workspaceId: WorkspaceID, dncListed: Bool, now: Date, timeZone: TimeZone
    ) -> (attempt: CallAttempt, usage: UsageRollupRow?) {
        var attempt = CallAttempt(
            id: new.id, workspaceId: workspaceId, walletId: new.walletId, campaignId: new.campaignId,
            recipientId: new.recipientId, numberPosition: new.numberPosition, phoneNumber: new.phoneNumber,
            createdAt: now, updatedAt: now)
        guard dncListed else { return (attempt, nil) }
        attempt.status = .dnc
        attempt.outcome = .dnc
        attempt.reason = "dnc_listed"
        attempt.endedAt = now
        return (attempt, UsageRollupRow.increment(for: attempt, timeZone: timeZone))
    }

    /// The release reason the ledger records for an event that refunds the credit.
    public static func releaseReason(for event: AttemptEvent) -> ReleaseReason {
        switch event {
        case .failed, .completed(.failed): .failed
        case .holdTimeout: .timeout
        default: .cancelled
        }
    }

    /// The position statistics increment for an attempt that has just ended: only attempts that were
    /// dialed (held a credit) and know their number position count.
    public static func positionIncrement(for attempt: CallAttempt, timeZone: TimeZone)
        -> (day: CalendarDay, position: Int, outcome: CallOutcome)?
    {
        guard let position = attempt.numberPosition, attempt.dialedAt != nil, let outcome = attempt.outcome,
            let endedAt = attempt.endedAt
        else { return nil }
        return (CalendarDay(endedAt, in: timeZone), position, outcome)
    }
}

extension AttemptStep {
    /// The attempt after the sweeper released its hold by the timeout (in the same transaction): the
    /// credit is back, the attempt stays Calling and is flagged for reconciliation. nil when the attempt
    /// does not hold that credit (nothing to change).
    public static func timedOut(_ attempt: CallAttempt, now: Date) -> CallAttempt? {
        guard attempt.charge == .held,
            let transition = try? AttemptRules.apply(.holdTimeout, to: attempt.state),
            transition.disposition == .applied
        else { return nil }
        var next = attempt
        next.state = transition.state
        next.updatedAt = now
        return next
    }
}
