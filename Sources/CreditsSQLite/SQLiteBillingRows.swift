import CreditsCore
import CreditsStore
import Foundation
import GRDB

/// Reading and writing plan, subscription, package and purchase rows (migration 004).
enum SQLiteBillingRows {
    static let planColumns = "id, name, monthly_allotment, price_minor, currency"
    static func plan(_ row: Columns) -> Plan {
        Plan(
            id: row.text(0), name: row.text(1), monthlyAllotment: Credits(row.integer(2)), priceMinor: row.integer(3),
            currency: row.text(4))
    }

    static let subscriptionColumns = """
        workspace_id, plan_id, status, started_at, anchor, time_zone, pending_plan_id, pending_plan_cycle,
        last_reset_cycle
        """
    static func subscription(_ row: Columns) -> Subscription {
        Subscription(
            workspaceId: row.text(0), planId: row.text(1),
            status: SubscriptionStatus(rawValue: row.text(2)) ?? .cancelled, startedAt: SQLiteRows.date(row, 3),
            anchor: SQLiteRows.date(row, 4), timeZone: row.text(5), pendingPlanId: row.optionalText(6),
            pendingPlanCycle: row.optionalInteger(7).map { Int($0) },
            lastResetCycle: row.optionalInteger(8).map { Int($0) })
    }

    static let packageColumns = "id, name, credits, price_minor, currency, validity_days, active"
    static func package(_ row: Columns) -> CreditPackage {
        CreditPackage(
            id: row.text(0), name: row.text(1), credits: Credits(row.integer(2)), priceMinor: row.integer(3),
            currency: row.text(4), validityDays: row.optionalInteger(5).map { Int($0) }, active: row.integer(6) != 0)
    }

    static let purchaseColumns = """
        id, workspace_id, wallet_id, package_id, credits, price_minor, currency, validity_days, provider, checkout_id,
        checkout_url, payment_reference, status, created_at, completed_at, lot_id, expires_at, refunded_minor,
        credits_taken_back, credits_already_spent, refunded_at
        """
    static func purchase(_ row: Columns) -> Purchase {
        let package = CreditPackage(
            id: row.text(3), name: "", credits: Credits(row.integer(4)), priceMinor: row.integer(5),
            currency: row.text(6), validityDays: row.optionalInteger(7).map { Int($0) })
        var purchase = Purchase(
            id: row.text(0), workspaceId: row.text(1), walletId: row.text(2), package: package, provider: row.text(8),
            createdAt: SQLiteRows.date(row, 13))
        purchase.checkoutId = row.optionalText(9)
        purchase.checkoutURL = row.optionalText(10)
        purchase.paymentReference = row.optionalText(11)
        purchase.status = PurchaseStatus(rawValue: row.text(12)) ?? .pending
        purchase.completedAt = SQLiteRows.optionalDate(row, 14)
        purchase.lotId = row.optionalText(15)
        purchase.expiresAt = SQLiteRows.optionalDate(row, 16)
        purchase.refundedMinor = row.integer(17)
        purchase.creditsTakenBack = Credits(row.integer(18))
        purchase.creditsAlreadySpent = Credits(row.integer(19))
        purchase.refundedAt = SQLiteRows.optionalDate(row, 20)
        return purchase
    }

    // MARK: Loads inside write transactions

    static func subscription(_ db: Database, _ workspaceId: WorkspaceID) throws -> Subscription? {
        try db.firstRow(
            "SELECT \(subscriptionColumns) FROM subscriptions WHERE workspace_id = ?", [.text(workspaceId)],
            subscription)
    }

    static func plan(_ db: Database, _ id: PlanID) throws -> Plan? {
        try db.firstRow("SELECT \(planColumns) FROM plans WHERE id = ?", [.text(id)], plan)
    }

    /// The workspace's pool, or `workspace_not_found` / `wallet_not_found`.
    static func pool(_ db: Database, _ workspaceId: WorkspaceID) throws -> Wallet {
        if let pool = try db.firstRow(
            "SELECT \(SQLiteRows.walletColumns) FROM wallets WHERE workspace_id = ? AND kind = 'pool'",
            [.text(workspaceId)], SQLiteRows.wallet)
        {
            return pool
        }
        try requireWorkspace(db, workspaceId)
        throw LedgerRefusal(.walletNotFound, "the workspace has no pool wallet")
    }

    static func requireWorkspace(_ db: Database, _ workspaceId: WorkspaceID) throws {
        guard try db.firstRow("SELECT 1 FROM workspaces WHERE id = ?", [.text(workspaceId)], { _ in true }) != nil
        else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
    }

    /// The workspace's subscription, or `workspace_not_found` / `subscription_not_found`.
    static func existingSubscription(_ db: Database, _ workspaceId: WorkspaceID) throws -> Subscription {
        if let found = try subscription(db, workspaceId) { return found }
        try requireWorkspace(db, workspaceId)
        throw LedgerRefusal(.subscriptionNotFound, "the workspace has no subscription")
    }

    /// The pool's lots that a billing summary or a plan change needs: those with remaining or held credit, and the
    /// current cycle's allotment lots (found by their reference, `cycle:<workspace>:<index>` and `…:…` top-ups).
    static func summaryLots(_ db: Database, pool: Wallet, cycleKey: String?) throws -> [Lot] {
        var found: [LotID: Lot] = [:]
        let live = try db.rows(
            "SELECT \(SQLiteRows.lotColumns) FROM lots WHERE wallet_id = ? AND remaining > 0", [.text(pool.id)],
            SQLiteRows.lot)
        let held = try db.rows(
            "SELECT \(SQLiteRows.lotColumns) FROM lots WHERE wallet_id = ? AND held > 0", [.text(pool.id)],
            SQLiteRows.lot)
        for lot in live + held { found[lot.id] = lot }
        if let cycleKey {
            // ";" follows ":" in byte order: the range holds the key and every "key:…".
            let cycle = try db.rows(
                """
                SELECT \(SQLiteRows.lotColumns) FROM lots
                WHERE wallet_id = ? AND reference >= ? AND reference < ? AND source = 'plan_allotment'
                """, [.text(pool.id), .text(cycleKey), .text(cycleKey + ";")], SQLiteRows.lot)
            for lot in cycle { found[lot.id] = lot }
        }
        return Array(found.values)
    }

    // MARK: Writes

    /// Writes a subscription's mutable fields and when the scheduler looks at it next.
    static func update(_ subscription: Subscription, nextResetAt: Date?, _ db: Database) throws {
        try RawStatement.execute(
            db.cachedStatement(
                sql: """
                    UPDATE subscriptions SET plan_id = ?, status = ?, pending_plan_id = ?, pending_plan_cycle = ?,
                        last_reset_cycle = ?, next_reset_at = COALESCE(?, next_reset_at)
                    WHERE workspace_id = ?
                    """),
            [
                .text(subscription.planId), .text(subscription.status.rawValue), .text(subscription.pendingPlanId),
                .integer(subscription.pendingPlanCycle.map(Int64.init)),
                .integer(subscription.lastResetCycle.map(Int64.init)), .integer(nextResetAt?.millisecondsSince1970),
                .text(subscription.workspaceId),
            ])
    }

    /// Stores a grant's result under its idempotency key, as `credit` does, so a repeat through `credit` replays it.
    /// The key is UNIQUE: a second grant for the same key fails the transaction.
    static func recordGrant(_ command: CreditCommand?, _ result: CreditResult?, now: Date, _ db: Database) throws {
        guard let command, let result else { return }
        try RawStatement.execute(
            db.cachedStatement(
                sql: """
                    INSERT INTO idempotency_keys (workspace_id, key, fingerprint, result, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """),
            [
                .text(command.workspaceId), .text(command.idempotencyKey), .text(command.fingerprint),
                .blob(try JSONEncoder.ledger.encode(result)), .integer(now.millisecondsSince1970),
            ])
    }

    static func update(_ purchase: Purchase, _ db: Database) throws {
        try RawStatement.execute(
            db.cachedStatement(
                sql: """
                    UPDATE purchases SET checkout_id = ?, checkout_url = ?, payment_reference = ?, status = ?,
                        completed_at = ?, lot_id = ?, expires_at = ?, refunded_minor = ?, credits_taken_back = ?,
                        credits_already_spent = ?, refunded_at = ?
                    WHERE id = ?
                    """),
            [
                .text(purchase.checkoutId), .text(purchase.checkoutURL), .text(purchase.paymentReference),
                .text(purchase.status.rawValue), .integer(purchase.completedAt?.millisecondsSince1970),
                .text(purchase.lotId), .integer(purchase.expiresAt?.millisecondsSince1970),
                .integer(purchase.refundedMinor), .integer(purchase.creditsTakenBack.count),
                .integer(purchase.creditsAlreadySpent.count), .integer(purchase.refundedAt?.millisecondsSince1970),
                .text(purchase.id),
            ])
    }
}
