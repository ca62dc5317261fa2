import AsyncHTTPClient
import CreditsCore
import Foundation
import NIOCore
import NIOHTTP1

/// How the service talks to Stripe (or a Stripe-compatible server).
public struct StripeConfiguration: Sendable {
    /// The secret API key (`sk_live_…`, `sk_test_…`).
    public var secretKey: String
    /// The webhook endpoint's signing secret (`whsec_…`).
    public var webhookSecret: String
    /// Where the REST API is; a test points it at a local fake.
    public var apiBaseURL: String
    /// Where Stripe sends the payer after paying (may contain `{CHECKOUT_SESSION_ID}`).
    public var successURL: String
    /// Where Stripe sends the payer who cancels.
    public var cancelURL: String
    /// How far a webhook's signed timestamp may be from now.
    public var toleranceSeconds: Int
    /// How long one API request may take.
    public var requestTimeoutSeconds: Int64

    public init(
        secretKey: String, webhookSecret: String, apiBaseURL: String = "https://api.stripe.com",
        successURL: String, cancelURL: String, toleranceSeconds: Int = 300, requestTimeoutSeconds: Int64 = 20
    ) {
        self.secretKey = secretKey
        self.webhookSecret = webhookSecret
        self.apiBaseURL = apiBaseURL
        self.successURL = successURL
        self.cancelURL = cancelURL
        self.toleranceSeconds = toleranceSeconds
        self.requestTimeoutSeconds = requestTimeoutSeconds
    }
}

/// The Stripe-compatible provider: a purchase becomes a Checkout Session (`POST /v1/checkout/sessions`), and the
/// webhook (`checkout.session.completed`) confirms it. The session carries the purchase and workspace ids as
/// `client_reference_id` and metadata (also on the PaymentIntent, so refunds can be matched), and is created with
/// Stripe's `Idempotency-Key` set to the purchase id, so a retried purchase gets the same session.
public struct StripePayments: PaymentProvider {
    public let configuration: StripeConfiguration
    let client: HTTPClient

    public init(configuration: StripeConfiguration, client: HTTPClient = .shared) {
        self.configuration = configuration
        self.client = client
    }

    public var name: String { "stripe" }

    /// The largest response body read from Stripe.
    static let responseBytesMax = 1 << 20

    public func checkout(_ purchase: Purchase, productName: String) async throws -> Checkout {
        let form = Self.sessionForm(purchase, productName: productName, configuration: configuration)
        var request = HTTPClientRequest(url: configuration.apiBaseURL + "/v1/checkout/sessions")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.secretKey)")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Idempotency-Key", value: "callcredits-\(purchase.id)")
        request.body = .bytes(ByteBuffer(string: form))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(configuration.requestTimeoutSeconds))
            body = try await response.body.collect(upTo: Self.responseBytesMax)
        } catch {
            throw PaymentProviderError(provider: name, detail: "request failed: \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            throw PaymentProviderError(
                provider: name, detail: "HTTP \(response.status.code): \(String(buffer: body).prefix(500))")
        }
        struct Session: Decodable {
            var id: String
            var url: String?
        }
        guard let session = try? JSONDecoder().decode(Session.self, from: Data(buffer: body)), let url = session.url
        else {
            throw PaymentProviderError(provider: name, detail: "the session in the response has no id or url")
        }
        return .redirect(checkoutId: session.id, url: url)
    }

    /// The form Stripe's API reads: one line item priced inline, metadata naming the purchase and workspace.
    static func sessionForm(_ purchase: Purchase, productName: String, configuration: StripeConfiguration) -> String {
        let fields: [(String, String)] = [
            ("mode", "payment"),
            ("success_url", configuration.successURL),
            ("cancel_url", configuration.cancelURL),
            ("client_reference_id", purchase.id),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", purchase.currency.lowercased()),
            ("line_items[0][price_data][unit_amount]", String(purchase.priceMinor)),
            ("line_items[0][price_data][product_data][name]", productName),
            ("metadata[workspace_id]", purchase.workspaceId),
            ("metadata[purchase_id]", purchase.id),
            ("metadata[package_id]", purchase.packageId),
            ("payment_intent_data[metadata][workspace_id]", purchase.workspaceId),
            ("payment_intent_data[metadata][purchase_id]", purchase.id),
        ]
        return fields.map { formEncode($0.0) + "=" + formEncode($0.1) }.joined(separator: "&")
    }

    /// `application/x-www-form-urlencoded`: unreserved characters as they are, everything else as %XX.
    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
