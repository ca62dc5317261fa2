import CreditsCore
import Foundation

/// The reference store's plans, subscriptions, packages and purchases.
struct MemoryBillingState {
    var plans: [PlanID: Plan] = [:]
    var subscriptions: [WorkspaceID: Subscription] = [:]
    /// When the scheduler looks at each subscription next.
    var nextResetAt: [WorkspaceID: Date] = [:]
    var packages: [PackageID: CreditPackage] = [:]
    var purchases: [PurchaseID: Purchase] = [:]
    /// Purchases by workspace and idempotency key.
    var purchaseKeys: [String: PurchaseID] = [:]
}

extension MemoryStore: BillingStore {
    public func putPlan(_ plan: Plan) async throws -> PlanWrite {
        try plan.validate()
        let created = billing.plans[plan.id] == nil
        billing.plans[plan.id] = plan
        return PlanWrite(plan: plan, created: created)
    }

    public func plan(id: PlanID) async throws -> Plan? { billing.plans[id] }

    public func plans() async throws -> [Plan] { billing.plans.values.sorted { $0.id < $1.id } }

    public func createSubscription(_ new: NewSubscription) async throws -> Subscription {
        try Limits.checkIdentifier(new.planId, field: "planId")
        guard let workspace = workspaces[new.workspaceId] else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        let subscription = try new.subscription(timeZone: workspace.timeZone, now: clock.now())
        guard billing.plans[new.planId] != nil else { throw LedgerRefusal(.planNotFound, "no plan \(new.planId)") }
        guard billing.subscriptions[new.workspaceId] == nil else {
            throw LedgerRefusal(.subscriptionExists, "the workspace already has a subscription")
        }
        billing.subscriptions[new.workspaceId] = subscription
        billing.nextResetAt[new.workspaceId] = subscription.anchor
        return subscription
    }

    public func subscription(workspaceId: WorkspaceID) async throws -> Subscription? {
        billing.subscriptions[workspaceId]
    }

    public func changePlan(
        workspaceId: WorkspaceID, to planId: PlanID, timing: PlanChangeTiming
    ) async throws -> PlanChangeResult {
        try Limits.checkIdentifier(planId, field: "planId")
        let subscription = try existingSubscription(workspaceId)
        guard let plan = billing.plans[planId] else { throw LedgerRefusal(.planNotFound, "no plan \(planId)") }
        let now = clock.now()
        switch timing {
        case .nextCycle:
            let changed = try subscription.schedulingPlanChange(to: plan.id, now: now)
            billing.subscriptions[workspaceId] = changed
            return PlanChangeResult(subscription: changed, lot: nil)
        case .now:
            let pool = try poolWallet(workspaceId)
            let decision = try CycleReset.changePlanNow(
                subscription, to: plan, wallet: pool, lots: lots.values.filter { $0.walletId == pool.id }, now: now,
                ids: ids)
            apply(decision.change)
            try recordGrant(decision.grant, decision.grantResult, now: now)
            billing.subscriptions[workspaceId] = decision.subscription
            return PlanChangeResult(subscription: decision.subscription, lot: decision.grantResult?.lot)
        }
    }

    public func setSubscriptionStatus(
        workspaceId: WorkspaceID, _ status: SubscriptionStatus
    ) async throws -> Subscription {
        var subscription = try existingSubscription(workspaceId)
        subscription.status = status
        billing.subscriptions[workspaceId] = subscription
        let now = clock.now()
        billing.nextResetAt[workspaceId] = min(billing.nextResetAt[workspaceId] ?? now, now)
        return subscription
    }

    public func resetCycle(workspaceId: WorkspaceID) async throws -> CycleResetReport {
        _ = try existingSubscription(workspaceId)
        return try reset(workspaceId, now: clock.now())
    }

    public func resetDueCycles(limit: Int) async throws -> [CycleResetReport] {
        let now = clock.now()
        let due = billing.nextResetAt.filter { $0.value <= now }
            .sorted { ($0.value, $0.key) < ($1.value, $1.key) }.prefix(limit)
        return try due.map { try reset($0.key, now: now) }
    }

    public func nextCycleResetDue() async throws -> Date? { billing.nextResetAt.values.min() }

    public func billingSummary(workspaceId: WorkspaceID) async throws -> BillingSummary {
        let pool = try poolWallet(workspaceId)
        let subscription = billing.subscriptions[workspaceId]
        return try BillingSummary(
            wallet: pool, subscription: subscription, plan: subscription.flatMap { billing.plans[$0.planId] },
            pendingPlan: subscription?.pendingPlanId.flatMap { billing.plans[$0] },
            lots: lots.values.filter { $0.walletId == pool.id }, now: clock.now())
    }

    // MARK: Helpers

    /// Runs the reset rule for one workspace and writes its decision.
    private func reset(_ workspaceId: WorkspaceID, now: Date) throws -> CycleResetReport {
        let subscription = try existingSubscription(workspaceId)
        guard let plan = billing.plans[subscription.planId] else {
            preconditionFailure("subscription of \(workspaceId) names missing plan \(subscription.planId)")
        }
        let pool = try poolWallet(workspaceId)
        let decision: CycleResetDecision
        do {
            decision = try CycleReset.decide(
                subscription, plan: plan, pendingPlan: subscription.pendingPlanId.flatMap { billing.plans[$0] },
                wallet: pool, lots: spendableLots(pool.id), now: now, ids: ids)
        } catch {
            billing.nextResetAt[workspaceId] = now.addingTimeInterval(CycleResetFailure.retrySeconds)
            return CycleResetFailure.report(workspaceId, now: now, error)
        }
        apply(decision.change)
        try recordGrant(decision.grant, decision.grantResult, now: now)
        if decision.startsTeamCycle {
            try resetTeam(workspaceId, allotmentLotId: decision.grantResult?.lot?.id, now: now)
        }
        if let notification = decision.notification { _ = try emitNow(notification) }
        billing.subscriptions[workspaceId] = decision.subscription
        billing.nextResetAt[workspaceId] = decision.nextCheckAt
        return decision.report
    }

    func existingSubscription(_ workspaceId: WorkspaceID) throws(LedgerRefusal) -> Subscription {
        guard workspaces[workspaceId] != nil else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        guard let subscription = billing.subscriptions[workspaceId] else {
            throw LedgerRefusal(.subscriptionNotFound, "the workspace has no subscription")
        }
        return subscription
    }

    func poolWallet(_ workspaceId: WorkspaceID) throws(LedgerRefusal) -> Wallet {
        guard workspaces[workspaceId] != nil else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        guard let pool = wallets.values.first(where: { $0.workspaceId == workspaceId && $0.kind == .pool }) else {
            throw LedgerRefusal(.walletNotFound, "the workspace has no pool wallet")
        }
        return pool
    }

    /// Stores a grant's result under its idempotency key, as `credit` does, so a repeat through `credit` replays it.
    func recordGrant(_ command: CreditCommand?, _ result: CreditResult?, now: Date) throws {
        guard let command, let result else { return }
        let key = command.workspaceId + "/" + command.idempotencyKey
        precondition(idempotency[key] == nil, "grant \(command.idempotencyKey) was already made")
        idempotency[key] = IdempotencyRecord(
            workspaceId: command.workspaceId, key: command.idempotencyKey, fingerprint: command.fingerprint,
            result: try JSONEncoder.ledger.encode(result), createdAt: now)
    }
}

/// What a store does with a subscription whose reset cannot be decided (a time zone the system no longer knows):
/// report it and look again later, rather than block the scheduler on it.
public enum CycleResetFailure {
    /// How long the scheduler leaves such a subscription before trying again.
    public static let retrySeconds: TimeInterval = 3_600

    /// The report for a reset that failed with `error`.
    public static func report(_ workspaceId: WorkspaceID, now: Date, _ error: any Error) -> CycleResetReport {
        CycleResetReport(
            workspaceId: workspaceId, outcome: nil, cycle: BillingCycle(index: 0, start: now, end: now),
            granted: .zero, expired: .zero, lotId: nil, failure: String(describing: error))
    }
}
