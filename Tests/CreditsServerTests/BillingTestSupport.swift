import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import CreditsServer

/// Registers a webhook endpoint for `workspaceId`, so every event enqueued from now on gets a delivery to count.
func listenToEvents(_ store: any ServiceStore, _ workspaceId: WorkspaceID) async throws {
    _ = try await store.createWebhookEndpoint(
        NewWebhookEndpoint(workspaceId: workspaceId, url: "https://hooks.test/events", secret: "whsec_dGVzdA=="))
}

/// The event types the workspace's deliveries carry, oldest first (one delivery per event with one endpoint).
func deliveredEventTypes(_ store: any ServiceStore, _ workspaceId: WorkspaceID) async throws
    -> [NotificationEventType]
{
    try await store.deliveries(DeliveryQuery(workspaceId: workspaceId, limit: Limits.pageSizeMax)).deliveries
        .reversed().map(\.eventType)
}

/// A test app over a `MemoryStore` with, when given, Stripe configured.
struct BillingHarness {
    let clock = ManualClock()
    let store: MemoryStore
    let configuration: ServerConfiguration

    init(stripe: StripeConfiguration? = nil) {
        store = MemoryStore(clock: clock, ids: SequentialIDs())
        configuration = ServerConfiguration(
            adminToken: adminToken, holdSweepIntervalSeconds: 3600, cycleResetIntervalSeconds: 3600, stripe: stripe)
    }

    func run<Value: Sendable>(_ test: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = buildApplication(
            configuration: configuration, store: store, clock: clock, logger: quietLogger)
        return try await app.test(.router) { client in try await test(client) }
    }
}

extension TestClientProtocol {
    /// Puts the basic plan (100 credits) and the 10-credit package, and subscribes `workspace` to the plan.
    func setUpBilling(_ workspace: TestWorkspace) async throws {
        let plan = try await send(
            .put, "/v1/plans/basic", token: adminToken,
            json: #"{"name": "Basic", "monthlyAllotment": 100, "priceMinor": 4900, "currency": "USD"}"#)
        #expect(plan.status == .created)
        let package = try await send(
            .put, "/v1/packages/small", token: adminToken,
            json: #"{"name": "10 credits", "credits": 10, "priceMinor": 1000, "currency": "USD"}"#)
        #expect(package.status == .created)
        let subscription = try await send(
            .post, "/v1/workspaces/\(workspace.id)/subscription", token: adminToken, json: #"{"planId": "basic"}"#)
        #expect(subscription.status == .created)
    }

    /// Buys a package through `POST /v1/purchases`.
    func buy(_ workspace: TestWorkspace, package: String = "small", key: String = "buy-1") async throws -> TestResponse
    {
        try await send(
            .post, "/v1/purchases", token: workspace.secret, json: #"{"packageId": "\#(package)"}"#,
            headers: [.idempotencyKey: key])
    }

    func billing(_ workspace: TestWorkspace) async throws -> BillingSummary {
        let response = try await send(.get, "/v1/billing", token: workspace.secret)
        #expect(response.status == .ok)
        return try decode(BillingSummary.self, response)
    }
}
