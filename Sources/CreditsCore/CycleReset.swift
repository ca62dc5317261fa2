import Foundation

/// What a cycle reset decided for one subscription. A store writes `subscription` and `change` in the same
/// transaction that loaded the inputs, guarded by `lastResetCycle` (see docs/cycles.md).
public struct CycleResetDecision: Hashable, Sendable {
    /// Why the decision is what it is.
    public enum Outcome: String, Hashable, Sendable, Codable {
        /// The current cycle was reset: past allotments expired, the new one granted (unless the plan grants 0).
        case reset
        /// `lastResetCycle` already is the current cycle (or later): nothing to do.
        case alreadyReset
        /// Past due: past allotments expired; the new one waits until the subscription is active again.
        case withheldPastDue = "withheld_past_due"
        /// Cancelled: past allotments expired; nothing is granted any more.
        case cancelled
        /// `now` is before the anchor: no cycle has started.
        case notStarted = "not_started"
    }

    public var outcome: Outcome
    /// The cycle containing `now`.
    public var cycle: BillingCycle
    /// The subscription to write back: `lastResetCycle` and an applied plan change. Equal to the input when
    /// nothing changed.
    public var subscription: Subscription
    /// The allotment grant, when one was made; its idempotency key is the reset key.
    public var grant: CreditCommand?
    /// The grant's result, to store under the grant's idempotency key.
    public var grantResult: CreditResult?
    /// The rows to write: expiry entries first, then the grant.
    public var change: LedgerChange

    /// Whether the store has anything to write.
    public var isEmpty: Bool { change.isEmpty && subscription == original }
    private var original: Subscription

    init(outcome: Outcome, cycle: BillingCycle, subscription: Subscription, original: Subscription) {
        self.outcome = outcome
        self.cycle = cycle
        self.subscription = subscription
        self.original = original
        self.change = LedgerChange()
    }
}

/// The monthly reset as a pure function: expire what passed, grant the current cycle's allotment, exactly once.
public enum CycleReset {
    /// The stable idempotency key (and lot reference) of a workspace's allotment grant for one cycle.
    public static func key(workspaceId: WorkspaceID, cycle index: Int) -> String {
        "cycle:\(workspaceId):\(index)"
    }

    /// Decides the reset of the cycle containing `now`, and only that one: missed cycles are not granted
    /// retroactively, their allotments only expire.
    ///
    /// - Parameters:
    ///   - subscription: as stored; `lastResetCycle` makes a second call for the same cycle do nothing.
    ///   - plan: the subscription's current plan (`subscription.planId`).
    ///   - pendingPlan: the plan of `subscription.pendingPlanId`, when one is pending; needed once it is due.
    ///   - wallet: the workspace's pool, which receives the allotment.
    ///   - lots: the pool's lots with remaining credit; allotment lots whose time passed are expired.
    public static func decide(
        _ subscription: Subscription, plan: Plan, pendingPlan: Plan?, wallet: Wallet, lots: [Lot], now: Date,
        ids: some IDSource
    ) throws(LedgerRefusal) -> CycleResetDecision {
        let calendar = try subscription.validate()
        try plan.validate()
        precondition(plan.id == subscription.planId, "plan \(plan.id) is not the subscription's")
        precondition(
            wallet.workspaceId == subscription.workspaceId && wallet.kind == .pool, "allotments go to the pool")
        let cycle = calendar.cycle(containing: now)
        var updated = subscription
        func decision(_ outcome: CycleResetDecision.Outcome) -> CycleResetDecision {
            CycleResetDecision(outcome: outcome, cycle: cycle, subscription: updated, original: subscription)
        }
        guard cycle.index >= 0 else { return decision(.notStarted) }
        if let last = subscription.lastResetCycle, last >= cycle.index { return decision(.alreadyReset) }

        var change = LedgerChange()
        for lot in lots.sorted(by: Ledger.spendsBefore)
        where lot.walletId == wallet.id && lot.source == .planAllotment && lot.isExpired(at: now) {
            change.append(Ledger.expire(lot, now: now, ids: ids))
        }
        var effectivePlan = plan
        if subscription.status != .cancelled, let pendingId = subscription.pendingPlanId,
            let due = subscription.pendingPlanCycle, due <= cycle.index
        {
            guard let pendingPlan, pendingPlan.id == pendingId else {
                preconditionFailure("pending plan \(pendingId) is due and must be passed in")
            }
            try pendingPlan.validate()
            effectivePlan = pendingPlan
            updated.planId = pendingId
            updated.pendingPlanId = nil
            updated.pendingPlanCycle = nil
        }
        switch subscription.status {
        case .cancelled:
            var result = decision(.cancelled)
            result.change = change
            return result
        case .pastDue:
            var result = decision(.withheldPastDue)
            result.change = change
            return result
        case .active:
            updated.lastResetCycle = cycle.index
            var result = decision(.reset)
            if effectivePlan.monthlyAllotment > .zero {
                let key = key(workspaceId: subscription.workspaceId, cycle: cycle.index)
                let command = CreditCommand(
                    workspaceId: subscription.workspaceId, walletId: wallet.id, amount: effectivePlan.monthlyAllotment,
                    source: .planAllotment, effectiveAt: cycle.start, expiresAt: cycle.end,
                    reason: "plan allotment: \(effectivePlan.id), cycle \(cycle.index)", reference: key,
                    idempotencyKey: key)
                let (grant, grantChange) = try Ledger.credit(command, wallet: wallet, lots: [], now: now, ids: ids)
                change.append(grantChange)
                result.grant = command
                result.grantResult = grant
            }
            result.change = change
            return result
        }
    }
}
