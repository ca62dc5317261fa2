import CreditsCore
import CreditsStore
import CreditsWebhooks
import Foundation
import HTTPTypes
import Hummingbird

/// `POST /v1/webhooks/stripe`: Stripe's events about our Checkout Sessions and their refunds. The raw body's
/// `Stripe-Signature` is checked (HMAC-SHA256, tolerance window) before anything is read or changed.
extension CreditsAPI {
    func stripeWebhook(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        guard let stripe = configuration.stripe else {
            throw APIError(.forbidden, .webhookDisabled, "the Stripe webhook is off: Stripe is not configured")
        }
        let body = try await collectBody(request)
        guard let signature = request.headers[HTTPField.Name(StripeSignature.headerName)!] else {
            throw APIError(.badRequest, .invalidSignature, "the Stripe-Signature header is missing")
        }
        do throws(StripeSignature.Failure) {
            try StripeSignature.verify(
                payload: body, header: signature, secret: stripe.webhookSecret,
                toleranceSeconds: stripe.toleranceSeconds,
                now: clock.now())
        } catch {
            context.logger.warning("stripe webhook refused", metadata: ["reason": "\(error)"])
            let message =
                error == .outsideTolerance
                ? "the signature's timestamp is outside the tolerance window" : "the signature does not match the body"
            throw APIError(.badRequest, .invalidSignature, message)
        }
        let decoder = JSONDecoder()
        let event = try decoder.decode(StripeEvents.Header.self, from: body)
        let handled: Bool
        switch event.type {
        case "checkout.session.completed", "checkout.session.async_payment_succeeded":
            let session = try decoder.decode(StripeEvents.Envelope<StripeEvents.CheckoutSession>.self, from: body)
            handled = try await checkoutCompleted(session.data.object, event: event.id, context: context)
        case "charge.refunded":
            let charge = try decoder.decode(StripeEvents.Envelope<StripeEvents.Charge>.self, from: body)
            handled = try await chargeRefunded(charge.data.object, event: event.id, context: context)
        default:
            handled = false
        }
        return try JSONResponse.make(WebhookReceipt(received: true, handled: handled))
    }

    /// Completes the purchase the session names. Unpaid sessions (delayed payment methods) wait for
    /// `checkout.session.async_payment_succeeded`; sessions that are not ours are acknowledged and ignored.
    private func checkoutCompleted(
        _ session: StripeEvents.CheckoutSession, event: String, context: CreditsRequestContext
    ) async throws -> Bool {
        guard session.isPaid else { return false }
        guard let workspaceId = session.metadata?["workspace_id"],
            let purchaseId = session.metadata?["purchase_id"] ?? session.clientReferenceId,
            (try? Limits.checkIdentifier(workspaceId, field: "workspace_id")) != nil,
            (try? Limits.checkIdentifier(purchaseId, field: "purchase_id")) != nil,
            let purchase = try await store.purchase(workspaceId: workspaceId, id: purchaseId),
            purchase.provider == payments.name
        else {
            context.logger.warning("stripe session names no purchase of ours", metadata: ["event": "\(event)"])
            return false
        }
        if let known = purchase.checkoutId, known != session.id {
            context.logger.warning(
                "stripe session differs from the purchase's",
                metadata: ["event": "\(event)", "purchase": "\(purchase.id)", "session": "\(session.id)"])
            return false
        }
        _ = try await confirm(purchase, paymentReference: session.paymentIntent ?? session.id)
        return true
    }

    /// Takes back the unused share of the credits a refund covers. The purchase is found from the charge's
    /// metadata (copied from the PaymentIntent) or else by its PaymentIntent. A refund that arrives before the
    /// payment's confirmation answers 409, so Stripe delivers it again later.
    private func chargeRefunded(
        _ charge: StripeEvents.Charge, event: String, context: CreditsRequestContext
    ) async throws -> Bool {
        var purchase: Purchase?
        if let workspaceId = charge.metadata?["workspace_id"], let purchaseId = charge.metadata?["purchase_id"],
            (try? Limits.checkIdentifier(workspaceId, field: "workspace_id")) != nil,
            (try? Limits.checkIdentifier(purchaseId, field: "purchase_id")) != nil
        {
            purchase = try await store.purchase(workspaceId: workspaceId, id: purchaseId)
        }
        if purchase == nil, let paymentIntent = charge.paymentIntent {
            purchase = try await store.purchase(provider: payments.name, paymentReference: paymentIntent)
        }
        guard let purchase, charge.amount > 0, charge.amountRefunded > 0 else {
            context.logger.warning("stripe refund names no purchase of ours", metadata: ["event": "\(event)"])
            return false
        }
        let refund = try await store.refundPurchase(
            workspaceId: purchase.workspaceId, purchaseId: purchase.id,
            refundedMinor: min(charge.amountRefunded, charge.amount), chargedMinor: charge.amount)
        if !refund.replayed {
            context.logger.info(
                "purchase refunded",
                metadata: [
                    "purchase": "\(purchase.id)", "takenBack": "\(refund.takenBack)",
                    "alreadySpent": "\(refund.alreadySpent)",
                ])
        }
        return true
    }
}
