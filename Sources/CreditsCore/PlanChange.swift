import Foundation

/// When an operator's plan change takes effect.
public enum PlanChangeTiming: String, Hashable, Sendable, Codable, CaseIterable {
    /// At the start of the next cycle (the default): the current cycle's allotment is unchanged.
    case nextCycle = "next_cycle"
    /// At once: the plan changes now and the current cycle's allotment is raised to the new plan's (never lowered).
    case now
}

/// What an immediate plan change decided: the subscription to write and, on an upgrade, the allotment top-up.
public struct PlanChangeDecision: Hashable, Sendable {
    public var subscription: Subscription
    /// The top-up grant (its idempotency key is `CycleReset.key(…) + ":upto:" + new allotment`).
    public var grant: CreditCommand?
    public var grantResult: CreditResult?
    public var change: LedgerChange
}

extension CycleReset {
    /// Whether `lot` is an allotment of `workspaceId`'s cycle `index`: its reference is the cycle's reset key, or
    /// that key followed by `:` (a top-up of the same cycle).
    public static func isAllotment(_ lot: Lot, workspaceId: WorkspaceID, cycle index: Int) -> Bool {
        guard lot.source == .planAllotment, let reference = lot.reference else { return false }
        let key = key(workspaceId: workspaceId, cycle: index)
        return reference == key || reference.hasPrefix(key + ":")
    }

    /// Changes the plan at once. The current cycle's allotment becomes the new plan's when that is larger: the
    /// difference between the new plan's allotment and what this cycle already granted is granted now, effective
    /// now and expiring with the cycle. A smaller allotment takes nothing back: credits granted for a cycle stay
    /// the customer's until it ends, and the lower allotment applies from the next cycle start. Nothing is granted
    /// when the current cycle has not been reset yet (its reset grants the new plan's allotment) or the subscription
    /// is past due. A pending change is dropped. Repeating the same change grants nothing more.
    ///
    /// - Parameter lots: the pool's lots; the current cycle's allotment lots are picked out of them.
    public static func changePlanNow(
        _ subscription: Subscription, to plan: Plan, wallet: Wallet, lots: [Lot], now: Date, ids: some IDSource
    ) throws(LedgerRefusal) -> PlanChangeDecision {
        let calendar = try subscription.validate()
        try plan.validate()
        precondition(
            wallet.workspaceId == subscription.workspaceId && wallet.kind == .pool, "allotments go to the pool")
        guard subscription.status != .cancelled else { throw .invalid("a cancelled subscription cannot change plan") }
        var updated = subscription
        updated.planId = plan.id
        updated.pendingPlanId = nil
        updated.pendingPlanCycle = nil
        var decision = PlanChangeDecision(subscription: updated, change: LedgerChange())
        let cycle = calendar.cycle(containing: now)
        guard subscription.status == .active, cycle.index >= 0, subscription.lastResetCycle == cycle.index else {
            return decision
        }
        let granted = lots.filter { isAllotment($0, workspaceId: subscription.workspaceId, cycle: cycle.index) }
            .sum(\.amount)
        guard plan.monthlyAllotment > granted else { return decision }
        let key = key(workspaceId: subscription.workspaceId, cycle: cycle.index) + ":upto:\(plan.monthlyAllotment)"
        let command = CreditCommand(
            workspaceId: subscription.workspaceId, walletId: wallet.id, amount: plan.monthlyAllotment - granted,
            source: .planAllotment, effectiveAt: now, expiresAt: cycle.end,
            reason: "plan allotment: \(plan.id), cycle \(cycle.index), raised by a plan change", reference: key,
            idempotencyKey: key)
        let (result, change) = try Ledger.credit(command, wallet: wallet, lots: [], now: now, ids: ids)
        decision.grant = command
        decision.grantResult = result
        decision.change = change
        return decision
    }
}
