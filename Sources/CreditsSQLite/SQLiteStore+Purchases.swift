import CreditsCore
import CreditsStore
import Foundation
import GRDB

extension SQLiteStore: PurchaseStore {
    public func putPackage(_ package: CreditPackage) async throws -> PackageWrite {
        try package.validate()
        return try await groupWriter.write { db in
            let existed = try db.firstRow("SELECT 1 FROM credit_packages WHERE id = ?", [.text(package.id)]) { _ in 1 }
            try db.execute(
                sql: """
                    INSERT INTO credit_packages (id, name, credits, price_minor, currency, validity_days, active)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits = excluded.credits,
                        price_minor = excluded.price_minor, currency = excluded.currency,
                        validity_days = excluded.validity_days, active = excluded.active
                    """,
                arguments: [
                    package.id, package.name, package.credits.count, package.priceMinor, package.currency,
                    package.validityDays, package.active,
                ])
            return PackageWrite(package: package, created: existed == nil)
        }
    }

    public func package(id: PackageID) async throws -> CreditPackage? {
        try await readPool.read { db in
            try db.firstRow(
                "SELECT \(SQLiteBillingRows.packageColumns) FROM credit_packages WHERE id = ?", [.text(id)],
                SQLiteBillingRows.package)
        }
    }

    public func packages(includeInactive: Bool) async throws -> [CreditPackage] {
        try await readPool.read { db in
            try db.rows(
                """
                SELECT \(SQLiteBillingRows.packageColumns) FROM credit_packages WHERE active = 1 OR ? ORDER BY id
                """, [.integer(includeInactive ? 1 : 0)], SQLiteBillingRows.package)
        }
    }

    public func createPurchase(_ new: NewPurchase) async throws -> PurchaseStart {
        try new.validate()
        let (clock, ids) = (clockSource, idSource)
        return try await groupWriter.write { db in
            let pool = try SQLiteBillingRows.pool(db, new.workspaceId)
            if let existing = try db.firstRow(
                """
                SELECT \(SQLiteBillingRows.purchaseColumns) FROM purchases
                WHERE workspace_id = ? AND idempotency_key = ?
                """, [.text(new.workspaceId), .text(new.idempotencyKey)], SQLiteBillingRows.purchase)
            {
                try PurchaseRules.checkRepeat(existing, new)
                return PurchaseStart(purchase: existing, replayed: true)
            }
            guard
                let package = try db.firstRow(
                    "SELECT \(SQLiteBillingRows.packageColumns) FROM credit_packages WHERE id = ? AND active = 1",
                    [.text(new.packageId)], SQLiteBillingRows.package)
            else { throw LedgerRefusal(.packageNotFound, "no package \(new.packageId) on sale") }
            let purchase = Purchase(
                id: ids.next(.purchase), workspaceId: new.workspaceId, walletId: pool.id, package: package,
                provider: new.provider, createdAt: clock.now())
            try db.execute(
                sql: """
                    INSERT INTO purchases (id, workspace_id, wallet_id, package_id, credits, price_minor, currency,
                        validity_days, provider, idempotency_key, status, created_at, refunded_minor,
                        credits_taken_back, credits_already_spent)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0)
                    """,
                arguments: [
                    purchase.id, purchase.workspaceId, purchase.walletId, purchase.packageId, purchase.credits.count,
                    purchase.priceMinor, purchase.currency, purchase.validityDays, purchase.provider,
                    new.idempotencyKey, purchase.status.rawValue, purchase.createdAt.millisecondsSince1970,
                ])
            return PurchaseStart(purchase: purchase, replayed: false)
        }
    }

    public func attachCheckout(
        workspaceId: WorkspaceID, purchaseId: PurchaseID, checkoutId: String, checkoutURL: String?
    ) async throws -> Purchase {
        try PurchaseRules.checkCheckout(checkoutId, checkoutURL)
        return try await groupWriter.write { db in
            var purchase = try Self.existingPurchase(db, workspaceId, purchaseId)
            guard purchase.checkoutId == nil else { return purchase }
            purchase.checkoutId = checkoutId
            purchase.checkoutURL = checkoutURL
            try SQLiteBillingRows.update(purchase, db)
            return purchase
        }
    }

    /// The single writer makes a second confirmation (repeated or concurrent) find the purchase completed.
    public func completePurchase(
        workspaceId: WorkspaceID, purchaseId: PurchaseID, paymentReference: String?
    ) async throws -> PurchaseCompletion {
        let (clock, ids, wallets) = (clockSource, idSource, walletCache)
        return try await groupWriter.write { db in
            let purchase = try Self.existingPurchase(db, workspaceId, purchaseId)
            let wallet = try SQLiteRows.wallet(
                db, workspaceId: workspaceId, walletId: purchase.walletId, cache: wallets)
            let now = clock.now()
            let decision = try Purchases.complete(
                purchase, wallet: wallet, existingLot: try SQLiteRows.lot(db, id: purchase.lotId),
                paymentReference: paymentReference,
                billingPeriodEnd: Purchases.billingPeriodEnd(
                    subscription: try SQLiteBillingRows.subscription(db, workspaceId), at: now),
                now: now, ids: ids)
            guard !decision.result.replayed else { return decision.result }
            try SQLiteRows.apply(decision.change, db)
            try SQLiteBillingRows.recordGrant(decision.grant, decision.grantResult, now: now, db)
            if let notification = decision.result.notification {
                _ = try Self.emit(notification, db: db, now: now, ids: ids)
            }
            try SQLiteBillingRows.update(decision.purchase, db)
            return decision.result
        }
    }

    public func refundPurchase(
        workspaceId: WorkspaceID, purchaseId: PurchaseID, refundedMinor: Int64, chargedMinor: Int64
    ) async throws -> PurchaseRefund {
        let (clock, ids) = (clockSource, idSource)
        return try await groupWriter.write { db in
            let purchase = try Self.existingPurchase(db, workspaceId, purchaseId)
            let decision = try Purchases.refund(
                purchase, lot: try SQLiteRows.lot(db, id: purchase.lotId), refundedMinor: refundedMinor,
                chargedMinor: chargedMinor, now: clock.now(), ids: ids)
            guard !decision.result.replayed else { return decision.result }
            try SQLiteRows.apply(decision.change, db)
            try SQLiteBillingRows.update(decision.purchase, db)
            return decision.result
        }
    }

    public func purchase(workspaceId: WorkspaceID, id: PurchaseID) async throws -> Purchase? {
        try await readPool.read { db in
            try db.firstRow(
                "SELECT \(SQLiteBillingRows.purchaseColumns) FROM purchases WHERE id = ? AND workspace_id = ?",
                [.text(id), .text(workspaceId)], SQLiteBillingRows.purchase)
        }
    }

    public func purchase(provider: String, paymentReference: String) async throws -> Purchase? {
        try await readPool.read { db in
            try db.firstRow(
                """
                SELECT \(SQLiteBillingRows.purchaseColumns) FROM purchases
                WHERE provider = ? AND payment_reference = ?
                """, [.text(provider), .text(paymentReference)], SQLiteBillingRows.purchase)
        }
    }

    public func purchases(workspaceId: WorkspaceID, limit: Int) async throws -> [Purchase] {
        try PurchaseRules.checkPageSize(limit)
        return try await readPool.read { db in
            try db.rows(
                """
                SELECT \(SQLiteBillingRows.purchaseColumns) FROM purchases WHERE workspace_id = ?
                ORDER BY id DESC LIMIT ?
                """, [.text(workspaceId), .integer(Int64(limit))], SQLiteBillingRows.purchase)
        }
    }

    private static func existingPurchase(
        _ db: Database, _ workspaceId: WorkspaceID, _ purchaseId: PurchaseID
    ) throws -> Purchase {
        try Limits.checkIdentifier(purchaseId, field: "purchaseId")
        if let found = try db.firstRow(
            "SELECT \(SQLiteBillingRows.purchaseColumns) FROM purchases WHERE id = ? AND workspace_id = ?",
            [.text(purchaseId), .text(workspaceId)], SQLiteBillingRows.purchase)
        {
            return found
        }
        try SQLiteBillingRows.requireWorkspace(db, workspaceId)
        throw LedgerRefusal(.purchaseNotFound, "no purchase \(purchaseId) in this workspace")
    }
}
