import CreditsCore
import Foundation

/// The credit package catalogue and purchases (issue 5). A confirmed payment adds its lot exactly once, also
/// when the confirmation is delivered twice or concurrently (docs/billing.md).
public protocol PurchaseStore: Sendable {
    /// Creates a package or replaces its fields; purchases already made keep the terms they were made with.
    func putPackage(_ package: CreditPackage) async throws -> PackageWrite
    func package(id: PackageID) async throws -> CreditPackage?
    /// The catalogue by id; retired packages only when asked for.
    func packages(includeInactive: Bool) async throws -> [CreditPackage]

    /// Creates a pending purchase of an active package for the workspace's pool, idempotent on the key: a repeat
    /// returns the purchase as it is now (`replayed`); the same key for another package is `idempotency_conflict`.
    func createPurchase(_ new: NewPurchase) async throws -> PurchaseStart
    /// Records the provider's checkout for a pending purchase (kept once set).
    func attachCheckout(workspaceId: WorkspaceID, purchaseId: PurchaseID, checkoutId: String, checkoutURL: String?)
        async throws -> Purchase
    /// Confirms the payment: adds the purchase's lot, exactly once (a repeat returns the first result, replayed).
    func completePurchase(workspaceId: WorkspaceID, purchaseId: PurchaseID, paymentReference: String?) async throws
        -> PurchaseCompletion
    /// Records a refund of `refundedMinor` out of `chargedMinor` (cumulative) and takes back the unused share of the
    /// credits (see `Purchases.refund`).
    func refundPurchase(workspaceId: WorkspaceID, purchaseId: PurchaseID, refundedMinor: Int64, chargedMinor: Int64)
        async throws -> PurchaseRefund
    func purchase(workspaceId: WorkspaceID, id: PurchaseID) async throws -> Purchase?
    /// The purchase a provider's payment confirmed (`provider` and its payment reference).
    func purchase(provider: String, paymentReference: String) async throws -> Purchase?
    /// The workspace's purchases, newest first.
    func purchases(workspaceId: WorkspaceID, limit: Int) async throws -> [Purchase]
}

/// A package as written, and whether it was new.
public struct PackageWrite: Hashable, Sendable {
    public var package: CreditPackage
    public var created: Bool

    public init(package: CreditPackage, created: Bool) {
        self.package = package
        self.created = created
    }
}
