import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

/// Packages and purchases. A purchase's confirmation and refunds lock its row (`FOR UPDATE`) first, so a second
/// confirmation delivered at the same time waits and then finds it completed; the lot's grant key is UNIQUE too.
extension PostgresStore: PurchaseStore {
    public func putPackage(_ package: CreditPackage) async throws -> PackageWrite {
        try package.validate()
        return try await transaction("putPackage") { connection in
            let inserted = try await rows(
                """
                INSERT INTO credit_packages (\(unescaped: BillingColumns.package))
                VALUES (\(package.id), \(package.name), \(package.credits.count), \(package.priceMinor), \
                \(package.currency), \(package.validityDays.map { Int32($0) }), \(package.active))
                ON CONFLICT (package_id) DO UPDATE SET name = excluded.name, credits = excluded.credits,
                    price_minor = excluded.price_minor, currency = excluded.currency,
                    validity_days = excluded.validity_days, active = excluded.active
                RETURNING (xmax = 0)
                """, on: connection
            ).first?.decode(Bool.self)
            return PackageWrite(package: package, created: inserted ?? false)
        }
    }

    public func package(id: PackageID) async throws -> CreditPackage? {
        try await read("package") { connection in
            try await rows(
                "SELECT \(unescaped: BillingColumns.package) FROM credit_packages WHERE package_id = \(id)",
                on: connection
            ).first.map(CreditPackage.init(row:))
        }
    }

    public func packages(includeInactive: Bool) async throws -> [CreditPackage] {
        try await read("packages") { connection in
            try await rows(
                """
                SELECT \(unescaped: BillingColumns.package) FROM credit_packages
                WHERE active OR \(includeInactive) ORDER BY package_id
                """, on: connection
            ).map(CreditPackage.init(row:))
        }
    }

    /// Two requests with one key race on `purchases_idempotency_key`: the loser's insert does nothing (after the
    /// winner commits) and it replays the winner's purchase.
    public func createPurchase(_ new: NewPurchase) async throws -> PurchaseStart {
        try new.validate()
        return try await transaction("createPurchase") { connection in
            let pool = try await pool(new.workspaceId, locking: false, on: connection)
            if let existing = try await self.purchase(byKey: new, on: connection) {
                try PurchaseRules.checkRepeat(existing, new)
                return PurchaseStart(purchase: existing, replayed: true)
            }
            guard
                let package = try await rows(
                    """
                    SELECT \(unescaped: BillingColumns.package) FROM credit_packages
                    WHERE package_id = \(new.packageId) AND active
                    """, on: connection
                ).first.map(CreditPackage.init(row:))
            else { throw LedgerRefusal(.packageNotFound, "no package \(new.packageId) on sale") }
            let purchase = Purchase(
                id: ids.next(.purchase), workspaceId: new.workspaceId, walletId: pool.id, package: package,
                provider: new.provider, createdAt: now())
            let inserted = try await rows(
                """
                INSERT INTO purchases (workspace_id, id, wallet_id, package_id, credits, price_minor, currency,
                    validity_days, provider, idempotency_key, status, created_at_ms, refunded_minor,
                    credits_taken_back, credits_already_spent)
                VALUES (\(purchase.workspaceId), \(purchase.id), \(purchase.walletId), \(purchase.packageId), \
                \(purchase.credits.count), \(purchase.priceMinor), \(purchase.currency), \
                \(purchase.validityDays.map { Int32($0) }), \(purchase.provider), \(new.idempotencyKey), \
                \(purchase.status.rawValue), \(purchase.createdAt.millis), 0, 0, 0)
                ON CONFLICT ON CONSTRAINT purchases_idempotency_key DO NOTHING RETURNING id
                """, on: connection)
            if inserted.isEmpty, let winner = try await self.purchase(byKey: new, on: connection) {
                try PurchaseRules.checkRepeat(winner, new)
                return PurchaseStart(purchase: winner, replayed: true)
            }
            return PurchaseStart(purchase: purchase, replayed: false)
        }
    }

    public func attachCheckout(
        workspaceId: WorkspaceID, purchaseId: PurchaseID, checkoutId: String, checkoutURL: String?
    ) async throws -> Purchase {
        try PurchaseRules.checkCheckout(checkoutId, checkoutURL)
        return try await transaction("attachCheckout") { connection in
            var purchase = try await lockPurchase(workspaceId, purchaseId, on: connection)
            guard purchase.checkoutId == nil else { return purchase }
            purchase.checkoutId = checkoutId
            purchase.checkoutURL = checkoutURL
            try await update(purchase, on: connection)
            return purchase
        }
    }

    public func completePurchase(
        workspaceId: WorkspaceID, purchaseId: PurchaseID, paymentReference: String?
    ) async throws -> PurchaseCompletion {
        try await transaction("completePurchase") { connection in
            let purchase = try await lockPurchase(workspaceId, purchaseId, on: connection)
            let wallet = try await wallet(workspaceId, purchase.walletId, locking: false, on: connection)
            let existingLot = try await lot(workspaceId, purchase.lotId, on: connection)
            let subscription = try await subscription(workspaceId, locking: false, on: connection)
            let now = now()
            let decision = try Purchases.complete(
                purchase, wallet: wallet, existingLot: existingLot, paymentReference: paymentReference,
                billingPeriodEnd: Purchases.billingPeriodEnd(subscription: subscription, at: now), now: now, ids: ids)
            guard !decision.result.replayed else { return decision.result }
            try await write(decision.change, on: connection)
            try await recordGrant(decision.grant, decision.grantResult, now: now, on: connection)
            if let notification = decision.result.notification {
                _ = try await emit(notification, now: now, on: connection)
            }
            try await update(decision.purchase, on: connection)
            return decision.result
        }
    }

    public func refundPurchase(
        workspaceId: WorkspaceID, purchaseId: PurchaseID, refundedMinor: Int64, chargedMinor: Int64
    ) async throws -> PurchaseRefund {
        try await transaction("refundPurchase") { connection in
            let purchase = try await lockPurchase(workspaceId, purchaseId, on: connection)
            let lot = try await lockLot(workspaceId, purchase.lotId, on: connection)
            let decision = try Purchases.refund(
                purchase, lot: lot, refundedMinor: refundedMinor, chargedMinor: chargedMinor, now: now(), ids: ids)
            guard !decision.result.replayed else { return decision.result }
            try await write(decision.change, on: connection)
            try await update(decision.purchase, on: connection)
            return decision.result
        }
    }

    public func purchase(workspaceId: WorkspaceID, id: PurchaseID) async throws -> Purchase? {
        try await read("purchase") { connection in
            try await rows(
                """
                SELECT \(unescaped: BillingColumns.purchase) FROM purchases
                WHERE workspace_id = \(workspaceId) AND id = \(id)
                """, on: connection
            ).first.map(Purchase.init(row:))
        }
    }

    public func purchase(provider: String, paymentReference: String) async throws -> Purchase? {
        try await read("purchaseByPayment") { connection in
            try await rows(
                """
                SELECT \(unescaped: BillingColumns.purchase) FROM purchases
                WHERE provider = \(provider) AND payment_reference = \(paymentReference)
                """, on: connection
            ).first.map(Purchase.init(row:))
        }
    }

    public func purchases(workspaceId: WorkspaceID, limit: Int) async throws -> [Purchase] {
        try PurchaseRules.checkPageSize(limit)
        return try await read("purchases") { connection in
            try await rows(
                """
                SELECT \(unescaped: BillingColumns.purchase) FROM purchases WHERE workspace_id = \(workspaceId)
                ORDER BY id DESC LIMIT \(limit)
                """, on: connection
            ).map(Purchase.init(row:))
        }
    }

    // MARK: Loading rows

    private func purchase(byKey new: NewPurchase, on connection: PostgresConnection) async throws -> Purchase? {
        try await rows(
            """
            SELECT \(unescaped: BillingColumns.purchase) FROM purchases
            WHERE workspace_id = \(new.workspaceId) AND idempotency_key = \(new.idempotencyKey)
            """, on: connection
        ).first.map(Purchase.init(row:))
    }

    /// The purchase, locked, or `workspace_not_found` / `purchase_not_found`.
    private func lockPurchase(
        _ workspaceId: WorkspaceID, _ purchaseId: PurchaseID, on connection: PostgresConnection
    ) async throws -> Purchase {
        try Limits.checkIdentifier(purchaseId, field: "purchaseId")
        if let found = try await rows(
            """
            SELECT \(unescaped: BillingColumns.purchase) FROM purchases
            WHERE workspace_id = \(workspaceId) AND id = \(purchaseId) FOR UPDATE
            """, on: connection
        ).first.map(Purchase.init(row:)) {
            return found
        }
        guard try await workspaceExists(workspaceId, on: connection) else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        throw LedgerRefusal(.purchaseNotFound, "no purchase \(purchaseId) in this workspace")
    }

    private func lot(_ workspaceId: WorkspaceID, _ lotId: LotID?, on connection: PostgresConnection) async throws
        -> Lot?
    {
        guard let lotId else { return nil }
        return try await rows(
            "SELECT \(unescaped: Columns.lot) FROM lots WHERE workspace_id = \(workspaceId) AND id = \(lotId)",
            on: connection
        ).first.map(Lot.init(row:))
    }
}
