import CreditsCore
import Foundation

/// A payment provider: it starts a checkout for a pending purchase. Confirmation comes back either at once
/// (`confirmed`) or later through the provider's webhook.
public protocol PaymentProvider: Sendable {
    /// Stored with every purchase: `builtin` or `stripe`.
    var name: String { get }
    /// Starts the payment of `purchase` for `productName` (the package's name, shown to the payer).
    func checkout(_ purchase: Purchase, productName: String) async throws -> Checkout
}

/// What starting a payment gave.
public enum Checkout: Hashable, Sendable {
    /// Paid already: add the lot now, with this payment reference.
    case confirmed(paymentReference: String)
    /// The payer finishes on the provider's page; the provider confirms through its webhook.
    case redirect(checkoutId: String, url: String)
}

/// A provider failed to start a checkout (unreachable, refused the request). Retrying the purchase with the same
/// `Idempotency-Key` is safe: the provider is asked with the same key of its own.
public struct PaymentProviderError: Error, CustomStringConvertible {
    public var provider: String
    /// For logs only; never sent to a client.
    public var detail: String

    public init(provider: String, detail: String) {
        self.provider = provider
        self.detail = detail
    }

    public var description: String { "payment provider \(provider) failed: \(detail)" }
}

/// The built-in provider: every payment is confirmed at once (the embedded default, tests and demos). It takes no
/// money; a deployment that sells credits configures Stripe.
public struct BuiltInPayments: PaymentProvider {
    public init() {}
    public var name: String { "builtin" }

    public func checkout(_ purchase: Purchase, productName: String) async throws -> Checkout {
        .confirmed(paymentReference: "builtin:" + purchase.id)
    }
}
