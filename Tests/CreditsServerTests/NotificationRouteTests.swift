import CreditsCore
import CreditsStore
import CreditsWebhooks
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

extension TestClientProtocol {
    /// Registers a webhook endpoint through the API.
    func createEndpoint(
        _ workspace: TestWorkspace, url: String = "https://hooks.example.com/cc", types: String = ""
    ) async throws -> WebhookEndpointView {
        let eventTypes = types.isEmpty ? "" : #", "eventTypes": [\#(types)]"#
        let response = try await send(
            .post, "/v1/webhook-endpoints", token: workspace.secret, json: #"{"url": "\#(url)"\#(eventTypes)}"#)
        #expect(response.status == .created)
        return try decode(WebhookEndpointView.self, response)
    }
}

@Suite("Notification routes")
struct NotificationRouteTests {
    @Test("an endpoint's secret is shown once, in Standard Webhooks form; list and read never show it")
    func endpointLifecycle() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let created = try await client.createEndpoint(workspace, types: #""wallet.low_balance", "cycle.reset""#)
            let secret = try #require(created.secret)
            #expect(secret.hasPrefix("whsec_") && Data(base64Encoded: String(secret.dropFirst(6)))?.count == 32)
            #expect(created.eventTypes == ["wallet.low_balance", "cycle.reset"] && created.enabled)
            let list = try decode(
                WebhookEndpointList.self, try await client.send(.get, "/v1/webhook-endpoints", token: workspace.secret))
            #expect(list.webhookEndpoints.map(\.id) == [created.id] && list.webhookEndpoints[0].secret == nil)
            let read = try await client.send(.get, "/v1/webhook-endpoints/\(created.id)", token: workspace.secret)
            #expect(read.status == .ok && !text(read).contains("whsec_"))
            let patched = try await client.send(
                .patch, "/v1/webhook-endpoints/\(created.id)", token: workspace.secret,
                json: #"{"enabled": false, "eventTypes": []}"#)
            #expect(patched.status == .ok)
            let view = try decode(WebhookEndpointView.self, patched)
            #expect(!view.enabled && view.eventTypes.isEmpty && view.url == created.url)
            let deleted = try await client.send(.delete, "/v1/webhook-endpoints/\(created.id)", token: workspace.secret)
            #expect(deleted.status == .ok)
            let gone = try await client.send(.get, "/v1/webhook-endpoints/\(created.id)", token: workspace.secret)
            #expect(gone.status == .notFound)
            #expect(try errorBody(gone).code == "webhook_endpoint_not_found")
        }
    }

    @Test("another workspace's endpoint does not exist for a key")
    func scopedToWorkspace() async throws {
        try await Harness().run { client in
            let acme = try await client.createWorkspace(name: "Acme")
            let other = try await client.createWorkspace(name: "Other")
            let endpoint = try await client.createEndpoint(acme)
            for (method, json) in [(HTTPRequest.Method.get, nil), (.patch, #"{"enabled": false}"#), (.delete, nil)] {
                let response = try await client.send(
                    method, "/v1/webhook-endpoints/\(endpoint.id)", token: other.secret, json: json)
                #expect(response.status == .notFound, "\(method)")
            }
        }
    }

    @Test("a bad URL or an unknown event type is refused with 422")
    func invalidEndpoint() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            for json in [
                #"{"url": "not a url"}"#, #"{"url": "https://x.example/h", "eventTypes": ["wallet.nope"]}"#,
            ] {
                let response = try await client.send(
                    .post, "/v1/webhook-endpoints", token: workspace.secret, json: json)
                #expect(response.status == .unprocessableContent)
                #expect(try errorBody(response).code == "invalid_request")
            }
        }
    }

    @Test("thresholds: defaults, replaced by PUT, nulls turn them off, out of range refused")
    func settings() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let initial = try await client.send(.get, "/v1/notification-settings", token: workspace.secret)
            #expect(text(initial) == #"{"lowBalanceCredits":null,"runwayMinutes":60}"#)
            let put = try await client.send(
                .put, "/v1/notification-settings", token: workspace.secret,
                json: #"{"lowBalanceCredits": 500, "runwayMinutes": null}"#)
            #expect(put.status == .ok && text(put) == #"{"lowBalanceCredits":500,"runwayMinutes":null}"#)
            let read = try await client.send(.get, "/v1/notification-settings", token: workspace.secret)
            #expect(text(read) == text(put))
            let refused = try await client.send(
                .put, "/v1/notification-settings", token: workspace.secret, json: #"{"runwayMinutes": 0}"#)
            #expect(refused.status == .unprocessableContent)
        }
    }

    @Test("the runway is shown with the balance and on its own route")
    func runway() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 100)
            let idle = try await client.send(
                .get, "/v1/wallets/\(workspace.poolWalletId)/runway", token: workspace.secret)
            #expect(idle.status == .ok)
            #expect(try decode(RunwayView.self, idle).runwayMinutes == nil)
            #expect(text(idle).contains(#""runwayMinutes":null"#))
            // 20 calls in 10 minutes: 120 an hour; 80 left: 40 minutes.
            for index in 0..<20 {
                _ = try await client.hold(workspace, attempt: "att-\(index)")
                _ = try await client.send(.post, "/v1/holds/att-\(index)/capture", token: workspace.secret)
                harness.clock.advance(seconds: 30)
            }
            let runway = try decode(
                RunwayView.self,
                try await client.send(.get, "/v1/wallets/\(workspace.poolWalletId)/runway", token: workspace.secret))
            #expect(runway.creditsPerHour == 120 && runway.runwayMinutes == 40 && runway.available == 80)
            #expect(runway.estimatedEmptyAt == harness.clock.now().addingTimeInterval(2400))
            let balance = try await client.send(.get, "/v1/balance", token: workspace.secret)
            struct WithRunway: Decodable {
                var available: Credits
                var runway: RunwayView
            }
            let shown = try decode(WithRunway.self, balance)
            #expect(shown.available == 80 && shown.runway == runway)
            let unknown = try await client.send(.get, "/v1/wallets/wal_nope/runway", token: workspace.secret)
            #expect(unknown.status == .notFound)
        }
    }

    @Test("low balance, empty and runway are detected by the evaluator and listed in the delivery log")
    func alertsThroughTheAPI() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            let endpoint = try await client.createEndpoint(workspace)
            _ = try await client.send(
                .put, "/v1/notification-settings", token: workspace.secret,
                json: #"{"lowBalanceCredits": 3, "runwayMinutes": 60}"#)
            try await client.grant(workspace, amount: 4)
            let evaluator = WalletAlertEvaluator(
                store: harness.store, watch: WalletWatch(), intervalSeconds: 3600, logger: quietLogger)
            #expect(try await evaluator.evaluateOnce().isEmpty)
            _ = try await client.hold(workspace, attempt: "att-1")  // open hold: the wallet is dialing
            let first = try await evaluator.evaluateOnce()
            #expect(Set(first.map(\.type)) == [.walletRunwayLow])
            for attempt in ["att-2", "att-3", "att-4"] { _ = try await client.hold(workspace, attempt: attempt) }
            let second = try await evaluator.evaluateOnce()
            #expect(Set(second.map(\.type)) == [.walletLowBalance, .walletEmpty])
            #expect(try await evaluator.evaluateOnce().isEmpty)
            let sender = WebhookSender(store: harness.store, clock: harness.clock, logger: quietLogger)
            let transport = RecordingTransport()
            #expect(try await sender.sendDue(using: transport).count == 3)
            let log = try decode(
                DeliveryPage.self,
                try await client.send(.get, "/v1/webhook-deliveries?status=delivered", token: workspace.secret))
            #expect(log.deliveries.count == 3 && log.deliveries.allSatisfy { $0.endpointId == endpoint.id })
            #expect(Set(log.deliveries.map(\.eventType)) == [.walletRunwayLow, .walletLowBalance, .walletEmpty])
            let bad = try await client.send(.get, "/v1/webhook-deliveries?status=lost", token: workspace.secret)
            #expect(bad.status == .unprocessableContent)
        }
    }

    @Test("a wallet the HTTP layer changed is evaluated even with no hold open")
    func watchedWallet() async throws {
        let harness = Harness()
        let watch = WalletWatch()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            _ = try await client.send(
                .put, "/v1/notification-settings", token: workspace.secret, json: #"{"lowBalanceCredits": 5}"#)
            try await client.grant(workspace, amount: 1)
            let evaluator = WalletAlertEvaluator(
                store: harness.store, watch: watch, intervalSeconds: 3600, logger: quietLogger)
            #expect(try await evaluator.evaluateOnce().isEmpty)
            watch.mark(workspaceId: workspace.id, walletId: workspace.poolWalletId)
            #expect(try await evaluator.evaluateOnce().map(\.type) == [.walletLowBalance])
        }
    }
}
