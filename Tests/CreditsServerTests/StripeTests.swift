import CreditsCore
import CreditsStore
import CreditsWebhooks
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import CreditsServer

/// A local stand-in for Stripe's REST API: it answers `POST /v1/checkout/sessions` and keeps what it was sent.
final class FakeStripe: Sendable {
    struct Received: Sendable {
        var authorization: String?
        var idempotencyKey: String?
        var form: [String: String]
    }

    private let state = Mutex<(received: [Received], failing: Bool)>(([], false))

    var received: [Received] { state.withLock { $0.received } }

    /// Makes the next requests fail with HTTP 500 (or succeed again).
    func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.post("/v1/checkout/sessions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var form: [String: String] = [:]
            for pair in String(buffer: body).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                form[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            let received = Received(
                authorization: request.headers[.authorization],
                idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!], form: form)
            let failing = self.state.withLock { state -> Bool in
                state.received.append(received)
                return state.failing
            }
            if failing { return Response(status: .internalServerError) }
            let id = "cs_test_" + (form["client_reference_id"] ?? "none")
            let json =
                #"{"id": "\#(id)", "object": "checkout.session", "url": "https://checkout.stripe.test/\#(id)", "payment_intent": null}"#
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
    }
}

@Suite("Stripe")
struct StripeTests {
    static let secret = "whsec_test_secret"

    /// Runs `test` against an app whose Stripe is a live local fake.
    func withStripe(
        _ test: @Sendable (BillingHarness, FakeStripe, any TestClientProtocol) async throws -> Void
    ) async throws {
        let fake = FakeStripe()
        try await fake.application().test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let harness = BillingHarness(
                stripe: StripeConfiguration(
                    secretKey: "sk_test_123", webhookSecret: Self.secret, apiBaseURL: "http://127.0.0.1:\(port)",
                    successURL: "https://app.test/billing?session={CHECKOUT_SESSION_ID}",
                    cancelURL: "https://app.test/billing"))
            try await harness.run { client in try await test(harness, fake, client) }
        }
    }

    /// A `checkout.session.completed` event for `purchase`, paid with PaymentIntent `pi_<purchase id>`.
    func sessionCompleted(_ purchase: Purchase, paid: Bool = true) -> String {
        """
        {"id": "evt_\(purchase.id)", "object": "event", "type": "checkout.session.completed", "data": {"object": \
        {"id": "cs_test_\(purchase.id)", "object": "checkout.session", "client_reference_id": "\(purchase.id)", \
        "payment_status": "\(paid ? "paid" : "unpaid")", "payment_intent": "pi_\(purchase.id)", \
        "metadata": {"workspace_id": "\(purchase.workspaceId)", "purchase_id": "\(purchase.id)"}}}}
        """
    }

    /// A `charge.refunded` event for the payment of `purchase`: found by the charge's metadata when it carries the
    /// PaymentIntent's, else by its PaymentIntent.
    func chargeRefunded(_ purchase: Purchase, refunded: Int64, metadata: Bool = false) -> String {
        let tags = metadata ? #""workspace_id": "\#(purchase.workspaceId)", "purchase_id": "\#(purchase.id)""# : ""
        return """
            {"id": "evt_refund_\(refunded)", "object": "event", "type": "charge.refunded", "data": {"object": \
            {"id": "ch_1", "object": "charge", "payment_intent": "pi_\(purchase.id)", "amount": \(purchase.priceMinor), \
            "amount_refunded": \(refunded), "refunded": \(refunded == purchase.priceMinor), "metadata": {\(tags)}}}}
            """
    }

    /// Posts `event` to the webhook, signed at `signedAt` (default the app's now) with `secret`.
    func deliver(
        _ event: String, _ client: any TestClientProtocol, harness: BillingHarness, signedAt: Date? = nil,
        secret: String = secret
    ) async throws -> TestResponse {
        let timestamp = Int64((signedAt ?? harness.clock.now()).timeIntervalSince1970)
        let signature = StripeSignature.header(secret: secret, timestamp: timestamp, payload: Data(event.utf8))
        return try await client.execute(
            uri: "/v1/webhooks/stripe", method: .post,
            headers: [HTTPField.Name("Stripe-Signature")!: signature, .contentType: "application/json"],
            body: ByteBuffer(string: event))
    }

    /// Subscribes a new workspace and starts a purchase of the 10-credit package through the fake Stripe.
    func startPurchase(_ client: any TestClientProtocol) async throws -> (TestWorkspace, Purchase) {
        let workspace = try await client.createWorkspace()
        try await client.setUpBilling(workspace)
        let response = try await client.buy(workspace)
        #expect(response.status == .created)
        return (workspace, try decode(PurchaseView.self, response).purchase)
    }

    @Test func aPurchaseCreatesACheckoutSessionThroughStripesAPI() async throws {
        try await withStripe { harness, fake, client in
            let (workspace, purchase) = try await startPurchase(client)
            #expect(purchase.status == .pending && purchase.provider == "stripe")
            #expect(purchase.checkoutURL == "https://checkout.stripe.test/cs_test_\(purchase.id)")
            let sent = try #require(fake.received.first)
            #expect(sent.authorization == "Bearer sk_test_123" && sent.idempotencyKey == "callcredits-\(purchase.id)")
            #expect(sent.form["mode"] == "payment" && sent.form["client_reference_id"] == purchase.id)
            #expect(sent.form["line_items[0][price_data][unit_amount]"] == "1000")
            #expect(sent.form["line_items[0][price_data][currency]"] == "usd")
            #expect(sent.form["line_items[0][price_data][product_data][name]"] == "10 credits")
            #expect(sent.form["metadata[workspace_id]"] == workspace.id)
            #expect(sent.form["payment_intent_data[metadata][purchase_id]"] == purchase.id)
            #expect(sent.form["success_url"] == "https://app.test/billing?session={CHECKOUT_SESSION_ID}")
            let again = try await client.buy(workspace)
            #expect(again.status == .ok && fake.received.count == 1)
            #expect(try await client.billing(workspace).purchasedLeft == 0)
        }
    }

    @Test func aConfirmationDeliveredTwiceAndConcurrentlyAddsOneLot() async throws {
        try await withStripe { harness, _, client in
            let (workspace, purchase) = try await startPurchase(client)
            try await listenToEvents(harness.store, workspace.id)
            let event = sessionCompleted(purchase)
            let first = try await deliver(event, client, harness: harness)
            #expect(try first.status == .ok && decode(WebhookReceipt.self, first).handled)
            #expect(try await deliver(event, client, harness: harness).status == .ok)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await deliver(event, client, harness: harness).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .ok })
            let billing = try await client.billing(workspace)
            #expect(billing.purchasedLeft == 10 && billing.purchased.count == 1)
            let stored = try await harness.store.purchase(workspaceId: workspace.id, id: purchase.id)
            #expect(stored?.status == .completed && stored?.paymentReference == "pi_\(purchase.id)")
            #expect(try await deliveredEventTypes(harness.store, workspace.id) == [.purchaseCompleted])
        }
    }

    @Test func aBadOrStaleSignatureIsRefusedAndChangesNothing() async throws {
        try await withStripe { harness, _, client in
            let (workspace, purchase) = try await startPurchase(client)
            let event = sessionCompleted(purchase)
            let wrongSecret = try await deliver(event, client, harness: harness, secret: "whsec_other")
            #expect(try wrongSecret.status == .badRequest && errorBody(wrongSecret).code == "invalid_signature")
            let stale = try await deliver(event, client, harness: harness, signedAt: harness.clock.now() - 301)
            #expect(try stale.status == .badRequest && errorBody(stale).code == "invalid_signature")
            let early = try await deliver(event, client, harness: harness, signedAt: harness.clock.now() + 301)
            #expect(early.status == .badRequest)
            let timestamp = Int64(harness.clock.now().timeIntervalSince1970)
            let tampered = try await client.execute(
                uri: "/v1/webhooks/stripe", method: .post,
                headers: [
                    HTTPField.Name("Stripe-Signature")!: StripeSignature.header(
                        secret: Self.secret, timestamp: timestamp, payload: Data(event.utf8))
                ],
                body: ByteBuffer(string: event.replacingOccurrences(of: "paid", with: "PAID")))
            #expect(tampered.status == .badRequest)
            let unsigned = try await client.execute(
                uri: "/v1/webhooks/stripe", method: .post, headers: [:], body: ByteBuffer(string: event))
            #expect(unsigned.status == .badRequest)
            #expect(try await client.billing(workspace).purchasedLeft == 0)
            #expect(try await harness.store.purchase(workspaceId: workspace.id, id: purchase.id)?.status == .pending)
            let withinTolerance = try await deliver(
                event, client, harness: harness, signedAt: harness.clock.now() - 299)
            #expect(withinTolerance.status == .ok)
            #expect(try await client.billing(workspace).purchasedLeft == 10)
        }
    }

    @Test func aRefundTakesBackTheUnusedCredits() async throws {
        try await withStripe { harness, _, client in
            let (workspace, purchase) = try await startPurchase(client)
            let early = try await deliver(
                chargeRefunded(purchase, refunded: 1_000, metadata: true), client, harness: harness)
            #expect(try early.status == .conflict && errorBody(early).code == "purchase_not_completed")
            _ = try await deliver(sessionCompleted(purchase), client, harness: harness)
            // 100 allotment credits go first; spend them and 3 purchased ones.
            for index in 0..<103 {
                _ = try await client.hold(workspace, attempt: "c\(index)")
                _ = try await client.send(.post, "/v1/holds/c\(index)/capture", token: workspace.secret)
            }
            let refunded = try await deliver(chargeRefunded(purchase, refunded: 1_000), client, harness: harness)
            #expect(try refunded.status == .ok && decode(WebhookReceipt.self, refunded).handled)
            let refund = try #require(try await harness.store.purchase(workspaceId: workspace.id, id: purchase.id))
            #expect(refund.status == .refunded && refund.creditsTakenBack == 7 && refund.creditsAlreadySpent == 3)
            #expect(try await client.billing(workspace).available == 0)
            let again = try await deliver(chargeRefunded(purchase, refunded: 1_000), client, harness: harness)
            #expect(again.status == .ok)
            #expect(try await harness.store.purchase(workspaceId: workspace.id, id: purchase.id) == refund)
        }
    }

    @Test func anUnpaidSessionOrAnotherEventChangesNothing() async throws {
        try await withStripe { harness, _, client in
            let (workspace, purchase) = try await startPurchase(client)
            let unpaid = try await deliver(sessionCompleted(purchase, paid: false), client, harness: harness)
            #expect(try unpaid.status == .ok && !decode(WebhookReceipt.self, unpaid).handled)
            let other = try await deliver(
                #"{"id": "evt_x", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}"#, client,
                harness: harness)
            #expect(try other.status == .ok && !decode(WebhookReceipt.self, other).handled)
            #expect(try await client.billing(workspace).purchasedLeft == 0)
        }
    }

    @Test func aFailingStripeAnswers502AndARetryWithTheSameKeyWorks() async throws {
        try await withStripe { harness, fake, client in
            let workspace = try await client.createWorkspace()
            try await client.setUpBilling(workspace)
            fake.setFailing(true)
            let failed = try await client.buy(workspace)
            #expect(try failed.status == .badGateway && errorBody(failed).code == "payment_provider_error")
            #expect(try errorBody(failed).retryable)
            fake.setFailing(false)
            let retried = try await client.buy(workspace)
            #expect(retried.status == .ok)
            let purchase = try decode(PurchaseView.self, retried).purchase
            #expect(
                purchase.checkoutId != nil
                    && fake.received.map(\.idempotencyKey).allSatisfy {
                        $0 == "callcredits-\(purchase.id)"
                    })
        }
    }

    @Test func withoutStripeTheWebhookIsOff() async throws {
        try await BillingHarness().run { client in
            let response = try await client.execute(
                uri: "/v1/webhooks/stripe", method: .post, headers: [:], body: ByteBuffer(string: "{}"))
            #expect(try response.status == .forbidden && errorBody(response).code == "webhook_disabled")
        }
    }
}
