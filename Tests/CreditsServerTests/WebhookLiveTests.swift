import CreditsCore
import CreditsStore
import CreditsWebhooks
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import CreditsServer

/// A webhook receiver on a real socket: answers from a script (then 204) and keeps what it received.
final class Receiver: Sendable {
    struct Received: Sendable {
        var headers: [String: String]
        var body: [UInt8]
    }

    private let state: Mutex<(answers: [Int], received: [Received])>

    init(answers: [Int]) { state = Mutex((answers, [])) }

    var received: [Received] { state.withLock { $0.received } }

    var application: some ApplicationProtocol {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let headers = Dictionary(
                request.headers.map { ($0.name.canonicalName, $0.value) }, uniquingKeysWith: { first, _ in first })
            let status = self.state.withLock { state -> Int in
                state.received.append(Received(headers: headers, body: Array(body.readableBytesView)))
                return state.answers.isEmpty ? 204 : state.answers.removeFirst()
            }
            return Response(status: .init(code: status))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}

@Suite("Webhooks end to end")
struct WebhookLiveTests {
    @Test("a low balance reaches a live receiver over HTTP, signed, retried after a 500, and is logged")
    func endToEnd() async throws {
        let receiver = Receiver(answers: [500])
        try await receiver.application.test(.live) { receiverClient in
            let port = try #require(receiverClient.port)
            let store = MemoryStore()
            let configuration = ServerConfiguration(
                port: 0, adminToken: adminToken, holdSweepIntervalSeconds: 3600, walletAlertIntervalSeconds: 0.05,
                webhookSender: WebhookSenderConfiguration(
                    pollIntervalSeconds: 0.05, requestTimeoutSeconds: 5,
                    retry: WebhookRetryPolicy(attemptsMax: 3, firstDelaySeconds: 0.2, jitterFraction: 0)))
            let app = buildApplication(configuration: configuration, store: store, logger: quietLogger)
            try await app.test(.live) { client in
                let workspace = try await client.createWorkspace()
                let endpoint = try await client.createEndpoint(
                    workspace, url: "http://127.0.0.1:\(port)/hook", types: #""wallet.low_balance""#)
                _ = try await client.send(
                    .put, "/v1/notification-settings", token: workspace.secret, json: #"{"lowBalanceCredits": 2}"#)
                try await client.grant(workspace, amount: 2)
                #expect(try await client.hold(workspace, attempt: "att-1").status == .created)
                // Up to 10 s for detection, a failed attempt, the backoff and the retry.
                var delivered: [WebhookDelivery] = []
                for _ in 0..<200 where delivered.isEmpty {
                    try await Task.sleep(for: .milliseconds(50))
                    let log = try await client.send(
                        .get, "/v1/webhook-deliveries?status=delivered", token: workspace.secret)
                    delivered = try decode(DeliveryPage.self, log).deliveries
                }
                let delivery = try #require(delivered.first)
                #expect(
                    delivery.attempts == 2 && delivery.lastStatusCode == 204 && delivery.eventType == .walletLowBalance)
                let received = receiver.received
                #expect(received.count == 2)
                for message in received {
                    #expect(message.headers["webhook-id"] == delivery.eventId)
                    #expect(message.headers["content-type"] == "application/json")
                    try StandardWebhookSignature.verify(
                        secret: try #require(endpoint.secret), id: message.headers["webhook-id"],
                        timestamp: message.headers["webhook-timestamp"],
                        signatures: message.headers["webhook-signature"], body: message.body, now: Date())
                }
                let body = String(decoding: try #require(received.last).body, as: UTF8.self)
                #expect(body.contains(#""type":"wallet.low_balance""#) && body.contains(#""available":1"#))
            }
        }
    }
}
