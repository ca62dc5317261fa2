import Foundation

/// What one workspace's cycle reset did, for logs, metrics, the bench and the "cycle reset" notification.
public struct CycleResetReport: Hashable, Sendable, Codable {
    public var workspaceId: WorkspaceID
    /// nil when the reset could not be decided (`failure` says why).
    public var outcome: CycleResetDecision.Outcome?
    /// The cycle containing the time of the reset.
    public var cycle: BillingCycle
    /// Credits of the new allotment lot (0 when none was granted).
    public var granted: Credits
    /// Credits of past allotments that expired (their unheld remainder).
    public var expired: Credits
    /// The new allotment lot.
    public var lotId: LotID?
    /// Why the subscription could not be reset (for example a time zone the system no longer knows).
    public var failure: String?

    public init(
        workspaceId: WorkspaceID, outcome: CycleResetDecision.Outcome?, cycle: BillingCycle, granted: Credits,
        expired: Credits, lotId: LotID?, failure: String? = nil
    ) {
        self.workspaceId = workspaceId
        self.outcome = outcome
        self.cycle = cycle
        self.granted = granted
        self.expired = expired
        self.lotId = lotId
        self.failure = failure
    }

    /// Whether the reset changed anything (a grant, an expiry or the subscription).
    public var changedAnything: Bool { outcome == .reset || granted > .zero || expired > .zero }
}

extension CycleResetDecision {
    /// The report of this decision.
    public var report: CycleResetReport {
        CycleResetReport(
            workspaceId: subscription.workspaceId, outcome: outcome, cycle: cycle,
            granted: grantResult?.lot?.amount ?? .zero,
            expired: change.entries.filter { $0.kind == .expiry }.sum(\.amount), lotId: grantResult?.lot?.id)
    }

    /// When the scheduler should look at this subscription again: the start of the next cycle (for a reset before
    /// the anchor, the anchor itself, which is where cycle −1 ends).
    public var nextCheckAt: Date { cycle.end }
}

extension CycleResetDecision {
    /// The `cycle.reset` notification of a reset that granted the cycle (outcome `reset`): one per workspace and
    /// cycle, enqueued in the reset's transaction. Withheld, cancelled and repeated resets notify nothing.
    public var notification: NewNotification? {
        guard outcome == .reset else { return nil }
        let report = report
        return .cycleReset(
            workspaceId: subscription.workspaceId, cycleStart: cycle.start, cycleEnd: cycle.end,
            granted: report.granted, expired: report.expired)
    }
}

extension CycleResetDecision {
    /// Whether the reset crossed into a cycle, so the team's part runs in the same transaction: removals due take
    /// effect, member lots whose time passed expire, and (for `reset`) members' allotments are moved from the new
    /// allotment lot (docs/teams.md).
    public var startsTeamCycle: Bool {
        switch outcome {
        case .reset, .withheldPastDue, .cancelled: true
        case .alreadyReset, .notStarted: false
        }
    }
}
