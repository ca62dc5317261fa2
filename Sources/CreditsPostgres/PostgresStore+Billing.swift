import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

/// Plans, subscriptions and resets. A reset locks the subscription row (`FOR UPDATE`), then the pool and its lots as
/// a hold does (wallet → lots), so the lock order stays subscription → wallet → lots everywhere; the grant's
/// idempotency key is UNIQUE, so a second grant for one cycle is impossible even past the row lock.
extension PostgresStore: BillingStore {
    public func putPlan(_ plan: Plan) async throws -> PlanWrite {
        try plan.validate()
        return try await transaction("putPlan") { connection in
            let inserted = try await rows(
                """
                INSERT INTO plans (\(unescaped: BillingColumns.plan))
                VALUES (\(plan.id), \(plan.name), \(plan.monthlyAllotment.count), \(plan.priceMinor), \(plan.currency))
                ON CONFLICT (plan_id) DO UPDATE SET name = excluded.name,
                    monthly_allotment = excluded.monthly_allotment, price_minor = excluded.price_minor,
                    currency = excluded.currency
                RETURNING (xmax = 0)
                """, on: connection
            ).first?.decode(Bool.self)
            return PlanWrite(plan: plan, created: inserted ?? false)
        }
    }

    public func plan(id: PlanID) async throws -> Plan? {
        try await read("plan") { connection in try await plan(id, on: connection) }
    }

    public func plans() async throws -> [Plan] {
        try await read("plans") { connection in
            try await rows("SELECT \(unescaped: BillingColumns.plan) FROM plans ORDER BY plan_id", on: connection)
                .map(Plan.init(row:))
        }
    }

    public func createSubscription(_ new: NewSubscription) async throws -> Subscription {
        try Limits.checkIdentifier(new.planId, field: "planId")
        return try await transaction("createSubscription") { connection in
            guard
                let workspace = try await rows(
                    "SELECT \(unescaped: Columns.workspace) FROM workspaces WHERE workspace_id = \(new.workspaceId)",
                    on: connection
                ).first.map(Workspace.init(row:))
            else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
            let subscription = try new.subscription(timeZone: workspace.timeZone, now: now())
            guard try await plan(new.planId, on: connection) != nil else {
                throw LedgerRefusal(.planNotFound, "no plan \(new.planId)")
            }
            let inserted = try await rows(
                """
                INSERT INTO subscriptions (workspace_id, plan_id, status, started_at_ms, anchor_ms, time_zone,
                    next_reset_at_ms)
                VALUES (\(subscription.workspaceId), \(subscription.planId), \(subscription.status.rawValue), \
                \(subscription.startedAt.millis), \(subscription.anchor.millis), \(subscription.timeZone), \
                \(subscription.anchor.millis))
                ON CONFLICT (workspace_id) DO NOTHING RETURNING workspace_id
                """, on: connection)
            guard !inserted.isEmpty else {
                throw LedgerRefusal(.subscriptionExists, "the workspace already has a subscription")
            }
            return subscription
        }
    }

    public func subscription(workspaceId: WorkspaceID) async throws -> Subscription? {
        try await read("subscription") { connection in
            try await subscription(workspaceId, locking: false, on: connection)
        }
    }

    public func changePlan(
        workspaceId: WorkspaceID, to planId: PlanID, timing: PlanChangeTiming
    ) async throws -> PlanChangeResult {
        try Limits.checkIdentifier(planId, field: "planId")
        return try await transaction("changePlan") { connection in
            let subscription = try await lockSubscription(workspaceId, on: connection)
            guard let plan = try await plan(planId, on: connection) else {
                throw LedgerRefusal(.planNotFound, "no plan \(planId)")
            }
            let now = now()
            switch timing {
            case .nextCycle:
                let changed = try subscription.schedulingPlanChange(to: plan.id, now: now)
                try await update(changed, nextResetAt: nil, on: connection)
                return PlanChangeResult(subscription: changed, lot: nil)
            case .now:
                let pool = try await pool(workspaceId, locking: true, on: connection)
                let cycle = try subscription.validate().cycle(containing: now)
                let lots = try await summaryLots(
                    pool, cycleKey: CycleReset.key(workspaceId: workspaceId, cycle: cycle.index), on: connection)
                let decision = try CycleReset.changePlanNow(
                    subscription, to: plan, wallet: pool, lots: lots, now: now, ids: ids)
                try await write(decision.change, on: connection)
                try await recordGrant(decision.grant, decision.grantResult, now: now, on: connection)
                try await update(decision.subscription, nextResetAt: nil, on: connection)
                return PlanChangeResult(subscription: decision.subscription, lot: decision.grantResult?.lot)
            }
        }
    }

    public func setSubscriptionStatus(
        workspaceId: WorkspaceID, _ status: SubscriptionStatus
    ) async throws -> Subscription {
        try await transaction("setSubscriptionStatus") { connection in
            var subscription = try await lockSubscription(workspaceId, on: connection)
            subscription.status = status
            try await update(subscription, nextResetAt: nil, on: connection)
            // The scheduler looks at it again at once (a past-due subscription paid up gets its allotment).
            try await execute(
                """
                UPDATE subscriptions SET next_reset_at_ms = LEAST(next_reset_at_ms, \(now().millis))
                WHERE workspace_id = \(workspaceId)
                """, on: connection)
            return subscription
        }
    }

    public func resetCycle(workspaceId: WorkspaceID) async throws -> CycleResetReport {
        try await transaction("resetCycle") { connection in
            let subscription = try await lockSubscription(workspaceId, on: connection)
            return try await reset(subscription, now: now(), on: connection)
        }
    }

    /// Due subscriptions are found without locks; then each is locked `SKIP LOCKED` and re-checked in its own
    /// transaction, so several schedulers share the work, never wait on each other and never reset one twice.
    public func resetDueCycles(limit: Int) async throws -> [CycleResetReport] {
        guard limit > 0 else { return [] }
        let now = now()
        let due = try await read("resetDueCycles") { connection in
            try await rows(
                """
                SELECT workspace_id FROM subscriptions WHERE next_reset_at_ms <= \(now.millis)
                ORDER BY next_reset_at_ms, workspace_id LIMIT \(limit)
                """, on: connection
            ).map { try $0.decode(String.self) }
        }
        var reports: [CycleResetReport] = []
        for workspaceId in due {
            let report = try await transaction("resetDueCycles") { connection -> CycleResetReport? in
                guard
                    let subscription = try await rows(
                        """
                        SELECT \(unescaped: BillingColumns.subscription) FROM subscriptions
                        WHERE workspace_id = \(workspaceId) AND next_reset_at_ms <= \(now.millis)
                        FOR UPDATE SKIP LOCKED
                        """, on: connection
                    ).first.map(Subscription.init(row:))
                else { return nil }
                return try await reset(subscription, now: now, on: connection)
            }
            if let report { reports.append(report) }
        }
        return reports
    }

    public func nextCycleResetDue() async throws -> Date? {
        try await read("nextCycleResetDue") { connection in
            try await rows("SELECT min(next_reset_at_ms) FROM subscriptions", on: connection)
                .first?.decode(Int64?.self).map(Date.init(millis:))
        }
    }

    public func billingSummary(workspaceId: WorkspaceID) async throws -> BillingSummary {
        let now = now()
        return try await read("billingSummary") { connection in
            let pool = try await pool(workspaceId, locking: false, on: connection)
            let subscription = try await subscription(workspaceId, locking: false, on: connection)
            let cycle = try subscription.map { try $0.validate().cycle(containing: now) }
            let lots = try await summaryLots(
                pool, cycleKey: cycle.map { CycleReset.key(workspaceId: workspaceId, cycle: $0.index) },
                on: connection)
            var plan: Plan?
            var pendingPlan: Plan?
            if let subscription {
                plan = try await self.plan(subscription.planId, on: connection)
                if let pending = subscription.pendingPlanId {
                    pendingPlan = try await self.plan(pending, on: connection)
                }
            }
            return try BillingSummary(
                wallet: pool, subscription: subscription, plan: plan, pendingPlan: pendingPlan, lots: lots, now: now)
        }
    }

    /// Decides and writes one locked subscription's reset. One whose reset cannot be decided is reported and
    /// looked at again later; nothing else is written for it.
    private func reset(
        _ subscription: Subscription, now: Date, on connection: PostgresConnection
    ) async throws -> CycleResetReport {
        let workspaceId = subscription.workspaceId
        guard let plan = try await plan(subscription.planId, on: connection) else {
            throw PostgresStoreError(.corruptRow, operation: "reset: subscription names a missing plan")
        }
        var pendingPlan: Plan?
        if let pending = subscription.pendingPlanId { pendingPlan = try await self.plan(pending, on: connection) }
        let pool = try await pool(workspaceId, locking: true, on: connection)
        let lots = try await lockSpendableLots(pool, on: connection)
        let decision: CycleResetDecision
        do {
            decision = try CycleReset.decide(
                subscription, plan: plan, pendingPlan: pendingPlan, wallet: pool, lots: lots, now: now, ids: ids)
        } catch let refusal {
            let retryAt = now.addingTimeInterval(CycleResetFailure.retrySeconds)
            try await execute(
                "UPDATE subscriptions SET next_reset_at_ms = \(retryAt.millis) WHERE workspace_id = \(workspaceId)",
                on: connection)
            return CycleResetFailure.report(workspaceId, now: now, refusal)
        }
        try await write(decision.change, on: connection)
        try await recordGrant(decision.grant, decision.grantResult, now: now, on: connection)
        if decision.startsTeamCycle {
            try await resetTeam(
                workspaceId, allotmentLotId: decision.grantResult?.lot?.id, now: now, on: connection)
        }
        if let notification = decision.notification { _ = try await emit(notification, now: now, on: connection) }
        try await update(decision.subscription, nextResetAt: decision.nextCheckAt, on: connection)
        return decision.report
    }
}
