import Foundation

public typealias PurchaseID = String

/// Where a purchase is: created with a checkout, then completed exactly once when the payment is confirmed.
public enum PurchaseStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// Waiting for the payment provider to confirm the payment.
    case pending
    /// Paid: the lot was added.
    case completed
    /// Part of the payment was refunded; the matching share of the credits was taken back (what was left of it).
    case partiallyRefunded = "partially_refunded"
    /// The whole payment was refunded.
    case refunded
}

/// One purchase of a credit package by a workspace. The package's terms are copied in when the purchase is made,
/// so a later change of the catalogue never changes what a customer paid for.
public struct Purchase: Hashable, Sendable, Codable {
    public var id: PurchaseID
    public var workspaceId: WorkspaceID
    /// The wallet that receives the credits (the pool).
    public var walletId: WalletID
    public var packageId: PackageID
    public var credits: Credits
    public var priceMinor: Int64
    public var currency: String
    public var validityDays: Int?
    /// The payment provider that handles it: `builtin` or `stripe`.
    public var provider: String
    /// The provider's checkout (a Stripe Checkout Session id), once created.
    public var checkoutId: String?
    /// Where the customer pays (Stripe's hosted page); nil for the built-in provider.
    public var checkoutURL: String?
    /// The provider's payment (a Stripe PaymentIntent id), once confirmed.
    public var paymentReference: String?
    public var status: PurchaseStatus
    public var createdAt: Date
    public var completedAt: Date?
    /// The lot the confirmed payment added.
    public var lotId: LotID?
    /// When the purchased credits expire; nil: never.
    public var expiresAt: Date?
    /// Refunded so far, in the currency's minor unit (cumulative, as the provider reports it).
    public var refundedMinor: Int64
    /// Credits taken back by refunds so far: the unused part of what the refunds covered.
    public var creditsTakenBack: Credits
    /// Credits the refunds covered that had already been spent (or were held by calls in flight).
    public var creditsAlreadySpent: Credits
    public var refundedAt: Date?

    public init(
        id: PurchaseID, workspaceId: WorkspaceID, walletId: WalletID, package: CreditPackage, provider: String,
        createdAt: Date
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.walletId = walletId
        self.packageId = package.id
        self.credits = package.credits
        self.priceMinor = package.priceMinor
        self.currency = package.currency
        self.validityDays = package.validityDays
        self.provider = provider
        self.status = .pending
        self.createdAt = createdAt
        self.refundedMinor = 0
        self.creditsTakenBack = .zero
        self.creditsAlreadySpent = .zero
    }
}

/// What confirming a payment did. A repeat (the same confirmation delivered again) has `replayed` set and the
/// lot the first confirmation added.
public struct PurchaseCompletion: Hashable, Sendable, Codable {
    public var purchase: Purchase
    public var lot: Lot?
    public var replayed: Bool

    public init(purchase: Purchase, lot: Lot?, replayed: Bool) {
        self.purchase = purchase
        self.lot = lot
        self.replayed = replayed
    }
}

/// What one refund did: the credits it took back and those it covered that were already spent.
/// `purchase` carries the totals over every refund of the payment.
public struct PurchaseRefund: Hashable, Sendable, Codable {
    public var purchase: Purchase
    public var takenBack: Credits
    public var alreadySpent: Credits
    /// The refund had been recorded before (same cumulative amount): nothing changed.
    public var replayed: Bool

    public init(purchase: Purchase, takenBack: Credits, alreadySpent: Credits, replayed: Bool) {
        self.purchase = purchase
        self.takenBack = takenBack
        self.alreadySpent = alreadySpent
        self.replayed = replayed
    }
}

/// A purchase about to be made: the workspace's request, idempotent on its key.
public struct NewPurchase: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var packageId: PackageID
    public var provider: String
    public var idempotencyKey: String

    public init(workspaceId: WorkspaceID, packageId: PackageID, provider: String, idempotencyKey: String) {
        self.workspaceId = workspaceId
        self.packageId = packageId
        self.provider = provider
        self.idempotencyKey = idempotencyKey
    }

    public func validate() throws(LedgerRefusal) {
        try Limits.checkIdentifier(packageId, field: "packageId")
        try Limits.checkIdentifier(provider, field: "provider")
        try Limits.checkIdentifier(idempotencyKey, field: "idempotency key")
    }
}

/// A purchase as created (or found again by its idempotency key).
public struct PurchaseStart: Hashable, Sendable {
    public var purchase: Purchase
    public var replayed: Bool

    public init(purchase: Purchase, replayed: Bool) {
        self.purchase = purchase
        self.replayed = replayed
    }
}
