import Foundation

/// The parts of Stripe's webhook events the service reads. Unknown fields are ignored, so newer API versions
/// decode as long as these keep their meaning.
enum StripeEvents {
    /// Every event: its id, its type, and the object it is about.
    struct Envelope<Object: Decodable>: Decodable {
        struct Payload: Decodable {
            var object: Object
        }

        var id: String
        var type: String
        var data: Payload
    }

    /// Reads only the type, to choose the object's shape.
    struct Header: Decodable {
        var id: String
        var type: String
    }

    /// A Checkout Session (`checkout.session.completed`, `checkout.session.async_payment_succeeded`).
    struct CheckoutSession: Decodable {
        var id: String
        var clientReferenceId: String?
        var paymentStatus: String?
        var paymentIntent: String?
        var metadata: [String: String]?

        enum CodingKeys: String, CodingKey {
            case id
            case clientReferenceId = "client_reference_id"
            case paymentStatus = "payment_status"
            case paymentIntent = "payment_intent"
            case metadata
        }

        /// Whether the money is in: `paid`, or `no_payment_required` for a free package.
        var isPaid: Bool { paymentStatus == "paid" || paymentStatus == "no_payment_required" }
    }

    /// A Charge (`charge.refunded`): `amount_refunded` is cumulative over every refund of the charge.
    struct Charge: Decodable {
        var id: String
        var paymentIntent: String?
        var amount: Int64
        var amountRefunded: Int64
        var metadata: [String: String]?

        enum CodingKeys: String, CodingKey {
            case id
            case paymentIntent = "payment_intent"
            case amount
            case amountRefunded = "amount_refunded"
            case metadata
        }
    }
}
