import CreditsCore
import CreditsStore
import Foundation
import GRDB

extension SQLiteStore: BillingStore {
    public func putPlan(_ plan: Plan) async throws -> PlanWrite {
        try plan.validate()
        return try await groupWriter.write { db in
            let existed = try SQLiteBillingRows.plan(db, plan.id) != nil
            try db.execute(
                sql: """
                    INSERT INTO plans (id, name, monthly_allotment, price_minor, currency) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET name = excluded.name, monthly_allotment = excluded.monthly_allotment,
                        price_minor = excluded.price_minor, currency = excluded.currency
                    """,
                arguments: [plan.id, plan.name, plan.monthlyAllotment.count, plan.priceMinor, plan.currency])
            return PlanWrite(plan: plan, created: !existed)
        }
    }

    public func plan(id: PlanID) async throws -> Plan? {
        try await readPool.read { db in try SQLiteBillingRows.plan(db, id) }
    }

    public func plans() async throws -> [Plan] {
        try await readPool.read { db in
            try db.rows("SELECT \(SQLiteBillingRows.planColumns) FROM plans ORDER BY id", [], SQLiteBillingRows.plan)
        }
    }

    public func createSubscription(_ new: NewSubscription) async throws -> Subscription {
        try Limits.checkIdentifier(new.planId, field: "planId")
        let clock = clockSource
        return try await groupWriter.write { db in
            guard
                let workspace = try db.firstRow(
                    "SELECT \(SQLiteRows.workspaceColumns) FROM workspaces WHERE id = ?", [.text(new.workspaceId)],
                    SQLiteRows.workspace)
            else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
            let subscription = try new.subscription(timeZone: workspace.timeZone, now: clock.now())
            guard try SQLiteBillingRows.plan(db, new.planId) != nil else {
                throw LedgerRefusal(.planNotFound, "no plan \(new.planId)")
            }
            guard try SQLiteBillingRows.subscription(db, new.workspaceId) == nil else {
                throw LedgerRefusal(.subscriptionExists, "the workspace already has a subscription")
            }
            try db.cachedStatement(
                sql: """
                    INSERT INTO subscriptions (workspace_id, plan_id, status, started_at, anchor, time_zone,
                        next_reset_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    subscription.workspaceId, subscription.planId, subscription.status.rawValue,
                    subscription.startedAt.millisecondsSince1970, subscription.anchor.millisecondsSince1970,
                    subscription.timeZone, subscription.anchor.millisecondsSince1970,
                ])
            return subscription
        }
    }

    public func subscription(workspaceId: WorkspaceID) async throws -> Subscription? {
        try await readPool.read { db in try SQLiteBillingRows.subscription(db, workspaceId) }
    }

    public func changePlan(
        workspaceId: WorkspaceID, to planId: PlanID, timing: PlanChangeTiming
    ) async throws -> PlanChangeResult {
        try Limits.checkIdentifier(planId, field: "planId")
        let (clock, ids) = (clockSource, idSource)
        return try await groupWriter.write { db in
            let subscription = try SQLiteBillingRows.existingSubscription(db, workspaceId)
            guard let plan = try SQLiteBillingRows.plan(db, planId) else {
                throw LedgerRefusal(.planNotFound, "no plan \(planId)")
            }
            let now = clock.now()
            switch timing {
            case .nextCycle:
                let changed = try subscription.schedulingPlanChange(to: plan.id, now: now)
                try SQLiteBillingRows.update(changed, nextResetAt: nil, db)
                return PlanChangeResult(subscription: changed, lot: nil)
            case .now:
                let pool = try SQLiteBillingRows.pool(db, workspaceId)
                let cycle = try subscription.validate().cycle(containing: now)
                let lots = try SQLiteBillingRows.summaryLots(
                    db, pool: pool, cycleKey: CycleReset.key(workspaceId: workspaceId, cycle: cycle.index))
                let decision = try CycleReset.changePlanNow(
                    subscription, to: plan, wallet: pool, lots: lots, now: now, ids: ids)
                try SQLiteRows.apply(decision.change, db)
                try SQLiteBillingRows.recordGrant(decision.grant, decision.grantResult, now: now, db)
                try SQLiteBillingRows.update(decision.subscription, nextResetAt: nil, db)
                return PlanChangeResult(subscription: decision.subscription, lot: decision.grantResult?.lot)
            }
        }
    }

    public func setSubscriptionStatus(
        workspaceId: WorkspaceID, _ status: SubscriptionStatus
    ) async throws -> Subscription {
        let clock = clockSource
        return try await groupWriter.write { db in
            var subscription = try SQLiteBillingRows.existingSubscription(db, workspaceId)
            subscription.status = status
            try SQLiteBillingRows.update(subscription, nextResetAt: nil, db)
            // The scheduler looks at it again at once (a past-due subscription paid up gets its allotment).
            try db.execute(
                sql: "UPDATE subscriptions SET next_reset_at = MIN(next_reset_at, ?) WHERE workspace_id = ?",
                arguments: [clock.now().millisecondsSince1970, workspaceId])
            return subscription
        }
    }

    public func resetCycle(workspaceId: WorkspaceID) async throws -> CycleResetReport {
        let (clock, ids) = (clockSource, idSource)
        return try await groupWriter.write { db in
            let subscription = try SQLiteBillingRows.existingSubscription(db, workspaceId)
            var plans: [PlanID: Plan] = [:]
            return try Self.reset(subscription, now: clock.now(), plans: &plans, ids: ids, db)
        }
    }

    /// One write batch resets up to `limit` due subscriptions: one durable commit for all of them. Each reset reads
    /// its subscription inside the batch's transaction, and the writer runs one transaction at a time (across
    /// processes too: `BEGIN IMMEDIATE`), so a second scheduler finds it no longer due.
    public func resetDueCycles(limit: Int) async throws -> [CycleResetReport] {
        guard limit > 0 else { return [] }
        let (clock, ids) = (clockSource, idSource)
        return try await groupWriter.write { db in
            let now = clock.now()
            let due = try db.rows(
                """
                SELECT \(SQLiteBillingRows.subscriptionColumns) FROM subscriptions
                WHERE next_reset_at <= ? ORDER BY next_reset_at, workspace_id LIMIT ?
                """, [.integer(now.millisecondsSince1970), .integer(Int64(limit))], SQLiteBillingRows.subscription)
            var plans: [PlanID: Plan] = [:]
            return try due.map { try Self.reset($0, now: now, plans: &plans, ids: ids, db) }
        }
    }

    public func nextCycleResetDue() async throws -> Date? {
        try await readPool.read { db in
            try db.firstRow("SELECT MIN(next_reset_at) FROM subscriptions", []) { SQLiteRows.optionalDate($0, 0) }
                ?? nil
        }
    }

    public func billingSummary(workspaceId: WorkspaceID) async throws -> BillingSummary {
        let now = clockSource.now()
        return try await readPool.read { db in
            let pool = try SQLiteBillingRows.pool(db, workspaceId)
            let subscription = try SQLiteBillingRows.subscription(db, workspaceId)
            let cycle = try subscription.map { try $0.validate().cycle(containing: now) }
            let lots = try SQLiteBillingRows.summaryLots(
                db, pool: pool, cycleKey: cycle.map { CycleReset.key(workspaceId: workspaceId, cycle: $0.index) })
            return try BillingSummary(
                wallet: pool, subscription: subscription,
                plan: try subscription.flatMap { try SQLiteBillingRows.plan(db, $0.planId) },
                pendingPlan: try subscription?.pendingPlanId.flatMap { try SQLiteBillingRows.plan(db, $0) },
                lots: lots, now: now)
        }
    }

    /// Decides and writes one subscription's reset inside the caller's transaction. A subscription whose reset
    /// cannot be decided is reported and looked at again later; it writes nothing else.
    private static func reset(
        _ subscription: Subscription, now: Date, plans: inout [PlanID: Plan], ids: some IDSource, _ db: Database
    ) throws -> CycleResetReport {
        func plan(_ id: PlanID) throws -> Plan? {
            if let cached = plans[id] { return cached }
            let found = try SQLiteBillingRows.plan(db, id)
            plans[id] = found
            return found
        }
        let workspaceId = subscription.workspaceId
        guard let current = try plan(subscription.planId) else {
            preconditionFailure("subscription of \(workspaceId) names missing plan \(subscription.planId)")
        }
        let pool = try SQLiteBillingRows.pool(db, workspaceId)
        let decision: CycleResetDecision
        do {
            decision = try CycleReset.decide(
                subscription, plan: current, pendingPlan: try subscription.pendingPlanId.flatMap(plan), wallet: pool,
                lots: try SQLiteRows.spendableLots(db, walletId: pool.id), now: now, ids: ids)
        } catch let refusal as LedgerRefusal {
            try db.execute(
                sql: "UPDATE subscriptions SET next_reset_at = ? WHERE workspace_id = ?",
                arguments: [
                    now.addingTimeInterval(CycleResetFailure.retrySeconds).millisecondsSince1970, workspaceId,
                ])
            return CycleResetFailure.report(workspaceId, now: now, refusal)
        }
        try SQLiteRows.apply(decision.change, db)
        try SQLiteBillingRows.recordGrant(decision.grant, decision.grantResult, now: now, db)
        if decision.startsTeamCycle {
            try resetTeam(workspaceId, allotmentLotId: decision.grantResult?.lot?.id, now: now, ids: ids, db)
        }
        if let notification = decision.notification { _ = try Self.emit(notification, db: db, now: now, ids: ids) }
        try SQLiteBillingRows.update(decision.subscription, nextResetAt: decision.nextCheckAt, db)
        return decision.report
    }
}
