import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

/// Column lists of migration 0004's tables, in the order the decoders below read them.
enum BillingColumns {
    static let plan = "plan_id, name, monthly_allotment, price_minor, currency"
    static let subscription =
        "workspace_id, plan_id, status, started_at_ms, anchor_ms, time_zone, pending_plan_id, pending_plan_cycle, "
        + "last_reset_cycle"
    static let package = "package_id, name, credits, price_minor, currency, validity_days, active"
    static let purchase =
        "workspace_id, id, wallet_id, package_id, credits, price_minor, currency, validity_days, provider, "
        + "checkout_id, checkout_url, payment_reference, status, created_at_ms, completed_at_ms, lot_id, "
        + "expires_at_ms, refunded_minor, credits_taken_back, credits_already_spent, refunded_at_ms"
}

extension Plan {
    init(row: PostgresRow) throws {
        let (id, name, allotment, price, currency) = try row.decode((String, String, Int64, Int64, String).self)
        self.init(id: id, name: name, monthlyAllotment: Credits(allotment), priceMinor: price, currency: currency)
    }
}

extension Subscription {
    init(row: PostgresRow) throws {
        let (workspaceId, planId, status, startedAt, anchor, timeZone, pendingPlanId, pendingCycle, lastReset) =
            try row.decode((String, String, String, Int64, Int64, String, String?, Int32?, Int32?).self)
        self.init(
            workspaceId: workspaceId, planId: planId, status: try decodeEnum(status, as: SubscriptionStatus.self),
            startedAt: Date(millis: startedAt), anchor: Date(millis: anchor), timeZone: timeZone,
            pendingPlanId: pendingPlanId, pendingPlanCycle: pendingCycle.map { Int($0) },
            lastResetCycle: lastReset.map { Int($0) })
    }
}

extension CreditPackage {
    init(row: PostgresRow) throws {
        let (id, name, credits, price, currency, validity, active) = try row.decode(
            (String, String, Int64, Int64, String, Int32?, Bool).self)
        self.init(
            id: id, name: name, credits: Credits(credits), priceMinor: price, currency: currency,
            validityDays: validity.map { Int($0) }, active: active)
    }
}

extension Purchase {
    init(row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        func value<T: PostgresDecodable>(_ index: Int, _ type: T.Type) throws -> T { try cells[index].decode(T.self) }
        let package = CreditPackage(
            id: try value(3, String.self), name: "", credits: Credits(try value(4, Int64.self)),
            priceMinor: try value(5, Int64.self), currency: try value(6, String.self),
            validityDays: try value(7, Int32?.self).map { Int($0) })
        self.init(
            id: try value(1, String.self), workspaceId: try value(0, String.self), walletId: try value(2, String.self),
            package: package, provider: try value(8, String.self), createdAt: Date(millis: try value(13, Int64.self)))
        checkoutId = try value(9, String?.self)
        checkoutURL = try value(10, String?.self)
        paymentReference = try value(11, String?.self)
        status = try decodeEnum(try value(12, String.self), as: PurchaseStatus.self)
        completedAt = try value(14, Int64?.self).map(Date.init(millis:))
        lotId = try value(15, String?.self)
        expiresAt = try value(16, Int64?.self).map(Date.init(millis:))
        refundedMinor = try value(17, Int64.self)
        creditsTakenBack = Credits(try value(18, Int64.self))
        creditsAlreadySpent = Credits(try value(19, Int64.self))
        refundedAt = try value(20, Int64?.self).map(Date.init(millis:))
    }
}

extension PostgresStore {
    func subscription(
        _ workspaceId: WorkspaceID, locking: Bool, on connection: PostgresConnection
    ) async throws -> Subscription? {
        try await rows(
            """
            SELECT \(unescaped: BillingColumns.subscription) FROM subscriptions WHERE workspace_id = \(workspaceId)
            \(unescaped: locking ? "FOR UPDATE" : "")
            """, on: connection
        ).first.map(Subscription.init(row:))
    }

    /// The workspace's subscription, locked, or `workspace_not_found` / `subscription_not_found`.
    func lockSubscription(_ workspaceId: WorkspaceID, on connection: PostgresConnection) async throws -> Subscription {
        if let found = try await subscription(workspaceId, locking: true, on: connection) { return found }
        guard try await workspaceExists(workspaceId, on: connection) else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        throw LedgerRefusal(.subscriptionNotFound, "the workspace has no subscription")
    }

    func plan(_ id: PlanID, on connection: PostgresConnection) async throws -> Plan? {
        try await rows("SELECT \(unescaped: BillingColumns.plan) FROM plans WHERE plan_id = \(id)", on: connection)
            .first.map(Plan.init(row:))
    }

    /// The workspace's pool, locked when asked, or `workspace_not_found` / `wallet_not_found`.
    func pool(_ workspaceId: WorkspaceID, locking: Bool, on connection: PostgresConnection) async throws -> Wallet {
        let found = try await rows(
            """
            SELECT \(unescaped: Columns.wallet) FROM wallets WHERE workspace_id = \(workspaceId) AND kind = 'pool'
            \(unescaped: locking ? "FOR NO KEY UPDATE" : "")
            """, on: connection)
        if let row = found.first { return try Wallet(row: row) }
        guard try await workspaceExists(workspaceId, on: connection) else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        throw LedgerRefusal(.walletNotFound, "the workspace has no pool wallet")
    }

    /// The pool's lots with remaining or held credit, and the allotment lots of the cycle whose reset key is
    /// `cycleKey` (the key itself and every `key:…` top-up: ";" follows ":" in byte order).
    func summaryLots(_ pool: Wallet, cycleKey: String?, on connection: PostgresConnection) async throws -> [Lot] {
        var found: [LotID: Lot] = [:]
        for row in try await rows(
            """
            SELECT \(unescaped: Columns.lot) FROM lots
            WHERE workspace_id = \(pool.workspaceId) AND wallet_id = \(pool.id) AND (remaining > 0 OR held > 0)
            """, on: connection)
        {
            let lot = try Lot(row: row)
            found[lot.id] = lot
        }
        if let cycleKey {
            for row in try await rows(
                """
                SELECT \(unescaped: Columns.lot) FROM lots
                WHERE workspace_id = \(pool.workspaceId) AND wallet_id = \(pool.id) AND reference IS NOT NULL
                  AND reference COLLATE "C" >= \(cycleKey) AND reference COLLATE "C" < \(cycleKey + ";")
                  AND source = 'plan_allotment'
                """, on: connection)
            {
                let lot = try Lot(row: row)
                found[lot.id] = lot
            }
        }
        return Array(found.values)
    }

    /// Writes a subscription's mutable fields and, when given, when the scheduler looks at it next.
    func update(_ subscription: Subscription, nextResetAt: Date?, on connection: PostgresConnection) async throws {
        try await execute(
            """
            UPDATE subscriptions SET plan_id = \(subscription.planId), status = \(subscription.status.rawValue),
                pending_plan_id = \(subscription.pendingPlanId),
                pending_plan_cycle = \(subscription.pendingPlanCycle.map { Int32($0) }),
                last_reset_cycle = \(subscription.lastResetCycle.map { Int32($0) }),
                next_reset_at_ms = COALESCE(\(nextResetAt?.millis), next_reset_at_ms)
            WHERE workspace_id = \(subscription.workspaceId)
            """, on: connection)
    }

    /// Stores a grant's result under its idempotency key (UNIQUE): a second grant for the same key fails.
    func recordGrant(
        _ command: CreditCommand?, _ result: CreditResult?, now: Date, on connection: PostgresConnection
    ) async throws {
        guard let command, let result else { return }
        try await execute(
            """
            INSERT INTO idempotency_keys (workspace_id, key, fingerprint, result, created_at_ms)
            VALUES (\(command.workspaceId), \(command.idempotencyKey), \(command.fingerprint), \
            \(try JSONEncoder.ledger.encode(result)), \(now.millis))
            """, on: connection)
    }

    func update(_ purchase: Purchase, on connection: PostgresConnection) async throws {
        try await execute(
            """
            UPDATE purchases SET checkout_id = \(purchase.checkoutId), checkout_url = \(purchase.checkoutURL),
                payment_reference = \(purchase.paymentReference), status = \(purchase.status.rawValue),
                completed_at_ms = \(purchase.completedAt?.millis), lot_id = \(purchase.lotId),
                expires_at_ms = \(purchase.expiresAt?.millis), refunded_minor = \(purchase.refundedMinor),
                credits_taken_back = \(purchase.creditsTakenBack.count),
                credits_already_spent = \(purchase.creditsAlreadySpent.count),
                refunded_at_ms = \(purchase.refundedAt?.millis)
            WHERE workspace_id = \(purchase.workspaceId) AND id = \(purchase.id)
            """, on: connection)
    }
}
