import CreditsCore
import CreditsStore
import CreditsWebhooks
import Foundation
import Testing

@testable import CreditsServer

@Suite("Webhook sender")
struct WebhookSenderTests {
    let clock = ManualClock()
    let store: MemoryStore
    let workspace: CreatedWorkspace
    let endpoint: WebhookEndpoint

    init() async throws {
        store = MemoryStore(clock: clock, ids: SequentialIDs())
        workspace = try await store.createWorkspace(
            NewWorkspace(name: "Acme", timeZone: "UTC", firstKey: APIKeySecret.generate(name: "k").key))
        endpoint = try await store.createWebhookEndpoint(
            NewWebhookEndpoint(
                workspaceId: workspace.workspace.id, url: "https://hooks.example.com/cc",
                secret: StandardWebhookSignature.generateSecret()))
    }

    func sender(_ retry: WebhookRetryPolicy = WebhookRetryPolicy()) -> WebhookSender {
        WebhookSender(
            store: store, clock: clock, configuration: WebhookSenderConfiguration(retry: retry), logger: quietLogger)
    }

    @discardableResult
    func emitPurchase(_ payment: String = "pay_1") async throws -> NotificationEvent {
        try await store.emit(
            .purchaseCompleted(
                workspaceId: workspace.workspace.id, paymentId: payment, walletId: workspace.pool.id, credits: 500,
                lotId: nil, completedAt: clock.now())
        ).event
    }

    @Test("each delivery carries the Standard Webhooks headers; a receiver verifies them with the secret")
    func signed() async throws {
        let event = try await emitPurchase()
        let transport = RecordingTransport()
        let delivered = try await sender().sendDue(using: transport)
        #expect(delivered.map(\.status) == [.delivered])
        let sent = try #require(transport.sent.first)
        #expect(sent.url == endpoint.url)
        #expect(sent.body == event.payload)
        #expect(sent.headers["webhook-id"] == event.id)
        #expect(sent.headers["webhook-timestamp"] == String(Int64(clock.now().timeIntervalSince1970)))
        try StandardWebhookSignature.verify(
            secret: endpoint.secret, id: sent.headers["webhook-id"], timestamp: sent.headers["webhook-timestamp"],
            signatures: sent.headers["webhook-signature"], body: Array(sent.body.utf8), now: clock.now())
    }

    @Test("a failed delivery is retried with exponential backoff, keeping its id, until it is delivered")
    func retriedWithBackoff() async throws {
        let event = try await emitPurchase()
        let transport = RecordingTransport([.status(500), .noResponse, .status(503)])
        let sender = sender(WebhookRetryPolicy(attemptsMax: 5, firstDelaySeconds: 10, factor: 3, jitterFraction: 0))
        let first = try await sender.sendDue(using: transport)
        #expect(first.first?.nextAttemptAt == clock.now().addingTimeInterval(10))
        #expect(first.first?.lastStatusCode == 500)
        #expect(try await sender.sendDue(using: transport).isEmpty)  // not due yet
        clock.advance(seconds: 10)
        let second = try await sender.sendDue(using: transport)
        #expect(second.first?.nextAttemptAt == clock.now().addingTimeInterval(30))
        #expect(second.first?.lastStatusCode == nil && second.first?.lastError?.contains("connection refused") == true)
        clock.advance(seconds: 29)
        #expect(try await sender.sendDue(using: transport).isEmpty)
        clock.advance(seconds: 1)
        #expect(try await sender.sendDue(using: transport).first?.nextAttemptAt == clock.now().addingTimeInterval(90))
        clock.advance(seconds: 90)
        let last = try #require(try await sender.sendDue(using: transport).first)
        #expect(last.status == .delivered && last.attempts == 4 && last.lastStatusCode == 200)
        #expect(transport.sent.count == 4)
        #expect(Set(transport.sent.map { $0.headers["webhook-id"] }) == [event.id])
        #expect(Set(transport.sent.map { $0.headers["webhook-timestamp"] }).count == 4)  // each attempt signs anew
    }

    @Test("after the last attempt the delivery fails and is not sent again")
    func givesUp() async throws {
        try await emitPurchase()
        let transport = RecordingTransport([.status(500), .status(500), .status(500)])
        let sender = sender(WebhookRetryPolicy(attemptsMax: 2, firstDelaySeconds: 1, jitterFraction: 0))
        try await sender.sendDue(using: transport)
        clock.advance(seconds: 1)
        let failed = try await sender.sendDue(using: transport)
        #expect(failed.map(\.status) == [.failed] && failed.first?.attempts == 2)
        clock.advance(seconds: 86_400)
        #expect(try await sender.sendDue(using: transport).isEmpty)
        #expect(transport.sent.count == 2)
    }

    @Test("410 Gone fails the delivery and disables the endpoint")
    func gone() async throws {
        try await emitPurchase("pay_1")
        let transport = RecordingTransport([.status(410)])
        #expect(try await sender().sendDue(using: transport).map(\.status) == [.failed])
        let disabled = try await store.webhookEndpoint(workspaceId: workspace.workspace.id, id: endpoint.id)
        #expect(disabled?.enabled == false)
        try await emitPurchase("pay_2")  // no delivery for a disabled endpoint
        #expect(try await sender().sendDue(using: transport).isEmpty)
    }

    @Test("the delivery log shows each delivery's attempts, status, response code and next attempt")
    func deliveryLog() async throws {
        try await emitPurchase()
        try await sender(WebhookRetryPolicy(jitterFraction: 0)).sendDue(using: RecordingTransport([.status(502)]))
        let log = try await store.deliveries(DeliveryQuery(workspaceId: workspace.workspace.id))
        let row = try #require(log.deliveries.first)
        #expect(row.attempts == 1 && row.status == .pending && row.lastStatusCode == 502)
        #expect(row.lastError == "HTTP 502" && row.nextAttemptAt == clock.now().addingTimeInterval(5))
        #expect(row.lastAttemptAt == clock.now() && row.endpointId == endpoint.id)
    }

    @Test("a batch is sent concurrently and every attempt is recorded")
    func batch() async throws {
        for index in 0..<40 { try await emitPurchase("pay_\(index)") }
        let transport = RecordingTransport()
        let sender = sender()
        #expect(try await sender.sendDue(using: transport).count == 32)
        #expect(try await sender.sendDue(using: transport).count == 8)
        #expect(transport.sent.count == 40)
    }
}
