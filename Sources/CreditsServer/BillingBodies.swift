import CreditsCore
import CreditsStore
import Foundation

// Request and response bodies of the billing routes (plans, subscriptions, packages, purchases).

/// `PUT /v1/plans/{planId}` body.
struct PlanBody: Decodable {
    var name: String
    var monthlyAllotment: Credits
    var priceMinor: Int64
    var currency: String
}

/// `GET /v1/plans` response.
struct PlanList: Codable {
    var plans: [Plan]
}

/// `PUT /v1/packages/{packageId}` body.
struct PackageBody: Decodable {
    var name: String
    var credits: Credits
    var priceMinor: Int64
    var currency: String
    var validityDays: Int?
    var active: Bool?
}

/// `GET /v1/packages` response.
struct PackageList: Codable {
    var packages: [CreditPackage]
}

/// `POST /v1/workspaces/{workspaceId}/subscription` body.
struct CreateSubscriptionBody: Decodable {
    var planId: PlanID
    var startedAt: Date?
    var anchor: Date?
}

/// `POST /v1/workspaces/{workspaceId}/subscription/plan` body.
struct ChangePlanBody: Decodable {
    var planId: PlanID
    /// `next_cycle` (default) or `now`; read as text so an unknown value is a 422.
    var effective: String?
}

/// `POST /v1/workspaces/{workspaceId}/subscription/status` body.
struct SubscriptionStatusBody: Decodable {
    var status: String
}

/// A subscription as the operator sees it, with when its cycle resets next and what a reset just did.
struct SubscriptionView: Codable {
    var subscription: Subscription
    var currentCycle: BillingCycle?
    var nextResetAt: Date?
    /// The reset the request ran (creating the subscription, or a status change), when it ran one.
    var reset: CycleResetReport?
    /// The top-up lot an immediate upgrade granted.
    var lot: Lot?
}

/// `POST /v1/purchases` body.
struct PurchaseBody: Decodable {
    var packageId: PackageID
}

/// A purchase and, once paid, its lot; `checkoutURL` is where the payer goes while it is pending.
struct PurchaseView: Codable {
    var purchase: Purchase
    var lot: Lot?
}

/// `GET /v1/purchases` response.
struct PurchaseList: Codable {
    var purchases: [Purchase]
}

/// `POST /v1/workspaces/{workspaceId}/purchases/{purchaseId}/refund` body (optional): default the whole price.
struct RefundBody: Decodable {
    var amountMinor: Int64?
}

/// `POST /v1/webhooks/stripe` response.
struct WebhookReceipt: Codable {
    var received: Bool
    /// Whether the event changed or confirmed anything here (other event types are acknowledged and ignored).
    var handled: Bool
}
