import CreditsCore
import Foundation

/// Plans, subscriptions and the monthly cycle reset (issue 5). Every backend makes a reset exactly once per
/// workspace and cycle, also with several schedulers at once (docs/cycles.md).
public protocol BillingStore: Sendable {
    /// Creates a plan or replaces its fields; a changed allotment applies from each workspace's next reset.
    func putPlan(_ plan: Plan) async throws -> PlanWrite
    func plan(id: PlanID) async throws -> Plan?
    /// Every plan, by id.
    func plans() async throws -> [Plan]

    /// Subscribes a workspace to a plan; its cycles are read in the workspace's time zone. One per workspace:
    /// a second is `subscription_exists`. The first cycle's allotment comes with the next reset (`resetCycle`).
    func createSubscription(_ new: NewSubscription) async throws -> Subscription
    func subscription(workspaceId: WorkspaceID) async throws -> Subscription?
    /// Changes the plan at the next cycle start, or now (see `CycleReset.changePlanNow`).
    func changePlan(workspaceId: WorkspaceID, to planId: PlanID, timing: PlanChangeTiming) async throws
        -> PlanChangeResult
    /// Sets active, past due or cancelled; the scheduler looks at the subscription again at once.
    func setSubscriptionStatus(workspaceId: WorkspaceID, _ status: SubscriptionStatus) async throws -> Subscription

    /// Resets the workspace's current cycle if it is due (idempotent); `subscription_not_found` without one.
    func resetCycle(workspaceId: WorkspaceID) async throws -> CycleResetReport
    /// Resets up to `limit` subscriptions whose reset is due, each in its own transaction or savepoint, and
    /// returns what each did. Safe to run from several schedulers at once.
    func resetDueCycles(limit: Int) async throws -> [CycleResetReport]
    /// When the next reset is due (a past instant when some are due now); nil without subscriptions.
    func nextCycleResetDue() async throws -> Date?

    /// The pool's credits as the billing page shows them.
    func billingSummary(workspaceId: WorkspaceID) async throws -> BillingSummary
}

/// A plan as written, and whether it was new.
public struct PlanWrite: Hashable, Sendable {
    public var plan: Plan
    public var created: Bool

    public init(plan: Plan, created: Bool) {
        self.plan = plan
        self.created = created
    }
}

/// What the operator gives to subscribe a workspace.
public struct NewSubscription: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var planId: PlanID
    /// Default: now.
    public var startedAt: Date?
    /// The instant cycle 0 starts; default `startedAt`. Its day of month and wall-clock time fix every cycle.
    public var anchor: Date?

    public init(workspaceId: WorkspaceID, planId: PlanID, startedAt: Date? = nil, anchor: Date? = nil) {
        self.workspaceId = workspaceId
        self.planId = planId
        self.startedAt = startedAt
        self.anchor = anchor
    }

    /// The subscription to store for a workspace in `timeZone` at `now`, validated.
    public func subscription(timeZone: String, now: Date) throws(LedgerRefusal) -> Subscription {
        try Limits.checkIdentifier(planId, field: "planId")
        let started = (startedAt ?? now).wholeMilliseconds
        let subscription = Subscription(
            workspaceId: workspaceId, planId: planId, status: .active, startedAt: started,
            anchor: (anchor ?? started).wholeMilliseconds, timeZone: timeZone)
        try subscription.validate()
        return subscription
    }
}

/// A plan change as made: the subscription and, for an immediate upgrade, the allotment top-up lot.
public struct PlanChangeResult: Hashable, Sendable {
    public var subscription: Subscription
    public var lot: Lot?

    public init(subscription: Subscription, lot: Lot?) {
        self.subscription = subscription
        self.lot = lot
    }
}
