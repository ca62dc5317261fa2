import CreditsCore
import Foundation

extension MemoryStore: PurchaseStore {
    public func putPackage(_ package: CreditPackage) async throws -> PackageWrite {
        try package.validate()
        let created = billing.packages[package.id] == nil
        billing.packages[package.id] = package
        return PackageWrite(package: package, created: created)
    }

    public func package(id: PackageID) async throws -> CreditPackage? { billing.packages[id] }

    public func packages(includeInactive: Bool) async throws -> [CreditPackage] {
        billing.packages.values.filter { includeInactive || $0.active }.sorted { $0.id < $1.id }
    }

    public func createPurchase(_ new: NewPurchase) async throws -> PurchaseStart {
        try new.validate()
        let pool = try poolWallet(new.workspaceId)
        let key = new.workspaceId + "/" + new.idempotencyKey
        if let id = billing.purchaseKeys[key], let existing = billing.purchases[id] {
            try PurchaseRules.checkRepeat(existing, new)
            return PurchaseStart(purchase: existing, replayed: true)
        }
        guard let package = billing.packages[new.packageId], package.active else {
            throw LedgerRefusal(.packageNotFound, "no package \(new.packageId) on sale")
        }
        let purchase = Purchase(
            id: ids.next(.purchase), workspaceId: new.workspaceId, walletId: pool.id, package: package,
            provider: new.provider, createdAt: clock.now())
        billing.purchases[purchase.id] = purchase
        billing.purchaseKeys[key] = purchase.id
        return PurchaseStart(purchase: purchase, replayed: false)
    }

    public func attachCheckout(
        workspaceId: WorkspaceID, purchaseId: PurchaseID, checkoutId: String, checkoutURL: String?
    ) async throws -> Purchase {
        try PurchaseRules.checkCheckout(checkoutId, checkoutURL)
        var purchase = try existingPurchase(workspaceId, purchaseId)
        guard purchase.checkoutId == nil else { return purchase }
        purchase.checkoutId = checkoutId
        purchase.checkoutURL = checkoutURL
        billing.purchases[purchase.id] = purchase
        return purchase
    }

    public func completePurchase(
        workspaceId: WorkspaceID, purchaseId: PurchaseID, paymentReference: String?
    ) async throws -> PurchaseCompletion {
        let purchase = try existingPurchase(workspaceId, purchaseId)
        let wallet = try ownWallet(workspaceId, purchase.walletId)
        let now = clock.now()
        let decision = try Purchases.complete(
            purchase, wallet: wallet, existingLot: purchase.lotId.flatMap { lots[$0] },
            paymentReference: paymentReference,
            billingPeriodEnd: Purchases.billingPeriodEnd(subscription: billing.subscriptions[workspaceId], at: now),
            now: now, ids: ids)
        apply(decision.change)
        try recordGrant(decision.grant, decision.grantResult, now: now)
        if let notification = decision.result.notification { _ = try emitNow(notification) }
        billing.purchases[purchase.id] = decision.purchase
        return decision.result
    }

    public func refundPurchase(
        workspaceId: WorkspaceID, purchaseId: PurchaseID, refundedMinor: Int64, chargedMinor: Int64
    ) async throws -> PurchaseRefund {
        let purchase = try existingPurchase(workspaceId, purchaseId)
        let decision = try Purchases.refund(
            purchase, lot: purchase.lotId.flatMap { lots[$0] }, refundedMinor: refundedMinor,
            chargedMinor: chargedMinor, now: clock.now(), ids: ids)
        apply(decision.change)
        billing.purchases[purchase.id] = decision.purchase
        return decision.result
    }

    public func purchase(workspaceId: WorkspaceID, id: PurchaseID) async throws -> Purchase? {
        billing.purchases[id].flatMap { $0.workspaceId == workspaceId ? $0 : nil }
    }

    public func purchase(provider: String, paymentReference: String) async throws -> Purchase? {
        billing.purchases.values.first { $0.provider == provider && $0.paymentReference == paymentReference }
    }

    public func purchases(workspaceId: WorkspaceID, limit: Int) async throws -> [Purchase] {
        try PurchaseRules.checkPageSize(limit)
        return Array(
            billing.purchases.values.filter { $0.workspaceId == workspaceId }.sorted { $0.id > $1.id }.prefix(limit))
    }

    private func existingPurchase(_ workspaceId: WorkspaceID, _ purchaseId: PurchaseID) throws(LedgerRefusal)
        -> Purchase
    {
        try Limits.checkIdentifier(purchaseId, field: "purchaseId")
        guard workspaces[workspaceId] != nil else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        guard let purchase = billing.purchases[purchaseId], purchase.workspaceId == workspaceId else {
            throw LedgerRefusal(.purchaseNotFound, "no purchase \(purchaseId) in this workspace")
        }
        return purchase
    }
}

/// Checks every backend makes the same way around purchases.
public enum PurchaseRules {
    /// A repeat of a purchase's idempotency key must ask for the same package from the same provider.
    public static func checkRepeat(_ existing: Purchase, _ new: NewPurchase) throws(LedgerRefusal) {
        guard existing.packageId == new.packageId, existing.provider == new.provider else {
            throw LedgerRefusal(
                .idempotencyConflict, "idempotency key \(new.idempotencyKey) was used for a different purchase")
        }
    }

    /// A provider's checkout id and URL must fit the columns that keep them.
    public static func checkCheckout(_ checkoutId: String, _ checkoutURL: String?) throws(LedgerRefusal) {
        guard !checkoutId.isEmpty, checkoutId.count <= Limits.providerReferenceLengthMax,
            (checkoutURL?.count ?? 0) <= Limits.providerReferenceLengthMax
        else {
            throw .invalid("checkout id and URL must be 1 to \(Limits.providerReferenceLengthMax) characters")
        }
    }

    /// A page of purchases holds 1 to `Limits.pageSizeMax`.
    public static func checkPageSize(_ limit: Int) throws(LedgerRefusal) {
        guard (1...Limits.pageSizeMax).contains(limit) else {
            throw .invalid("limit must be between 1 and \(Limits.pageSizeMax)")
        }
    }
}
