import CreditsCore
import CreditsStore
import Foundation
import Testing

extension Fixture {
    /// An endpoint of this workspace, subscribed to `types` (every type when empty).
    @discardableResult
    func endpoint(
        _ url: String = "https://hooks.example.com/cc", types: [NotificationEventType] = []
    ) async throws -> WebhookEndpoint {
        try await store.createWebhookEndpoint(
            NewWebhookEndpoint(
                workspaceId: workspace, url: url, eventTypes: types,
                secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    }

    /// A `purchase.completed` event for payment `payment`.
    func purchase(_ payment: String, credits: Int64 = 100) -> NewNotification {
        .purchaseCompleted(
            workspaceId: workspace, paymentId: payment, walletId: pool, credits: Credits(credits), lotId: nil,
            completedAt: clock.now())
    }

    /// The attempt a sender reports for `claim`.
    func attempt(_ claim: DeliveryClaim, status: Int?, _ decision: DeliveryDecision) -> DeliveryAttempt {
        DeliveryAttempt(
            workspaceId: workspace, deliveryId: claim.delivery.id, token: claim.token, attemptedAt: clock.now(),
            statusCode: status, error: status == nil ? "no response: connection refused" : nil, decision: decision)
    }
}

/// The notification capability, on every backend.
@Suite("Notification store conformance")
struct NotificationStoreTests {
    @Test("endpoints: create, list, read, change and delete, within their workspace only", arguments: Backend.all)
    func endpoints(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let other = try await fixture.another()
        let first = try await fixture.endpoint(types: [.walletLowBalance, .purchaseCompleted])
        let second = try await fixture.endpoint("http://127.0.0.1:9/hook")
        #expect(first.enabled && first.secret.hasPrefix("whsec_"))
        #expect(
            try await fixture.store.webhookEndpoints(workspaceId: fixture.workspace).map(\.id) == [first.id, second.id])
        #expect(try await fixture.store.webhookEndpoint(workspaceId: fixture.workspace, id: first.id) == first)
        #expect(try await other.store.webhookEndpoint(workspaceId: other.workspace, id: first.id) == nil)
        #expect(try await other.store.webhookEndpoints(workspaceId: other.workspace).isEmpty)
        fixture.clock.advance(seconds: 1)
        let changed = try #require(
            try await fixture.store.updateWebhookEndpoint(
                workspaceId: fixture.workspace, id: first.id,
                WebhookEndpointUpdate(eventTypes: [.walletEmpty], enabled: false)))
        #expect(changed.eventTypes == [.walletEmpty] && !changed.enabled && changed.url == first.url)
        #expect(changed.updatedAt == fixture.clock.now())
        #expect(try await fixture.store.webhookEndpoint(workspaceId: fixture.workspace, id: first.id) == changed)
        #expect(
            try await other.store.updateWebhookEndpoint(
                workspaceId: other.workspace, id: first.id, WebhookEndpointUpdate(enabled: true)) == nil)
        #expect(try await fixture.store.deleteWebhookEndpoint(workspaceId: fixture.workspace, id: second.id) != nil)
        #expect(try await fixture.store.webhookEndpoints(workspaceId: fixture.workspace).map(\.id) == [first.id])
        #expect(try await fixture.store.deleteWebhookEndpoint(workspaceId: fixture.workspace, id: second.id) == nil)
    }

    @Test("an endpoint URL must be absolute http(s)", arguments: Backend.all)
    func endpointURL(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        for url in ["hooks.example.com", "ftp://example.com/x", "https://user:pw@example.com/", ""] {
            #expect(await fixture.refusal { try await fixture.endpoint(url) } == .invalidRequest, "\(url)")
        }
    }

    @Test("thresholds: defaults until set, then what was set", arguments: Backend.all)
    func settings(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        #expect(try await fixture.store.notificationSettings(workspaceId: fixture.workspace) == .defaults)
        let set = NotificationSettings(lowBalanceCredits: 250, runwayMinutes: nil)
        #expect(try await fixture.store.setNotificationSettings(workspaceId: fixture.workspace, set) == set)
        #expect(try await fixture.store.notificationSettings(workspaceId: fixture.workspace) == set)
        let refused = await fixture.refusal {
            try await fixture.store.setNotificationSettings(
                workspaceId: fixture.workspace, NotificationSettings(lowBalanceCredits: 0))
        }
        #expect(refused == .invalidRequest)
    }

    @Test(
        "emitting is idempotent per key and makes one delivery per subscribed, enabled endpoint", arguments: Backend.all
    )
    func emitOncePerKey(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let all = try await fixture.endpoint()
        let purchases = try await fixture.endpoint(types: [.purchaseCompleted])
        try await fixture.endpoint(types: [.cycleReset])
        let disabled = try await fixture.endpoint()
        _ = try await fixture.store.updateWebhookEndpoint(
            workspaceId: fixture.workspace, id: disabled.id, WebhookEndpointUpdate(enabled: false))
        let first = try await fixture.store.emit(fixture.purchase("pay_1"))
        #expect(first.created && first.deliveries == 2)
        let again = try await fixture.store.emit(fixture.purchase("pay_1", credits: 999))
        #expect(!again.created && again.deliveries == 0 && again.event == first.event)
        let page = try await fixture.store.deliveries(DeliveryQuery(workspaceId: fixture.workspace))
        #expect(Set(page.deliveries.map(\.endpointId)) == [all.id, purchases.id])
        #expect(
            page.deliveries.allSatisfy { $0.status == .pending && $0.attempts == 0 && $0.eventId == first.event.id })
        #expect(
            try await fixture.store.notificationEvent(workspaceId: fixture.workspace, id: first.event.id) == first.event
        )
        #expect(first.event.payload.contains(#""type":"purchase.completed""#))
        #expect(first.event.payload.contains(#""workspaceId":"\#(fixture.workspace)""#))
    }

    @Test("concurrent emits of one key enqueue one event", arguments: Backend.all)
    func concurrentEmit(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.endpoint()
        let results = try await withThrowingTaskGroup(of: EmitResult.self) { group in
            for _ in 0..<8 { group.addTask { try await fixture.store.emit(fixture.purchase("pay_race")) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter(\.created).count == 1)
        #expect(Set(results.map(\.event.id)).count == 1)
        #expect(try await fixture.store.deliveries(DeliveryQuery(workspaceId: fixture.workspace)).deliveries.count == 1)
    }

    @Test("a failed attempt is retried at its time, then delivered; the log shows each step", arguments: Backend.all)
    func retryThenDeliver(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let endpoint = try await fixture.endpoint()
        try await fixture.store.emit(fixture.purchase("pay_1"))
        let claim = try #require(try await fixture.store.claimDueDeliveries(limit: 10, leaseSeconds: 60).first)
        #expect(claim.url == endpoint.url && claim.secret == endpoint.secret && claim.payload.contains("pay_1"))
        let retryAt = fixture.clock.now().addingTimeInterval(30)
        let failed = try #require(
            try await fixture.store.recordDeliveryAttempt(fixture.attempt(claim, status: 503, .retry(at: retryAt))))
        #expect(failed.status == .pending && failed.attempts == 1 && failed.lastStatusCode == 503)
        #expect(failed.nextAttemptAt == retryAt)
        #expect(try await fixture.store.claimDueDeliveries(limit: 10, leaseSeconds: 60).isEmpty)
        fixture.clock.advance(seconds: 30)
        let second = try #require(try await fixture.store.claimDueDeliveries(limit: 10, leaseSeconds: 60).first)
        #expect(second.delivery.attempts == 1)
        fixture.clock.advance(seconds: 1)
        let delivered = try #require(
            try await fixture.store.recordDeliveryAttempt(fixture.attempt(second, status: 200, .delivered)))
        #expect(delivered.status == .delivered && delivered.attempts == 2 && delivered.lastStatusCode == 200)
        #expect(delivered.deliveredAt == fixture.clock.now() && delivered.nextAttemptAt == nil)
        let log = try await fixture.store.deliveries(DeliveryQuery(workspaceId: fixture.workspace))
        #expect(log.deliveries == [delivered])
        #expect(try await fixture.store.claimDueDeliveries(limit: 10, leaseSeconds: 60).isEmpty)
    }

    @Test(
        "a claimed delivery is not claimed again until its lease lapses; a lapsed claim records nothing",
        arguments: Backend.all)
    func claimLease(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.endpoint()
        try await fixture.store.emit(fixture.purchase("pay_1"))
        let first = try #require(try await fixture.store.claimDueDeliveries(limit: 10, leaseSeconds: 60).first)
        #expect(try await fixture.store.claimDueDeliveries(limit: 10, leaseSeconds: 60).isEmpty)
        fixture.clock.advance(seconds: 61)
        let second = try #require(try await fixture.store.claimDueDeliveries(limit: 10, leaseSeconds: 60).first)
        #expect(second.delivery.id == first.delivery.id && second.token != first.token)
        #expect(try await fixture.store.recordDeliveryAttempt(fixture.attempt(first, status: 200, .delivered)) == nil)
        #expect(try await fixture.store.recordDeliveryAttempt(fixture.attempt(second, status: 200, .delivered)) != nil)
    }

    @Test("running out of attempts fails the delivery; 410 Gone also disables the endpoint", arguments: Backend.all)
    func failures(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let endpoint = try await fixture.endpoint()
        try await fixture.store.emit(fixture.purchase("pay_1"))
        try await fixture.store.emit(fixture.purchase("pay_2"))
        let claims = try await fixture.store.claimDueDeliveries(limit: 10, leaseSeconds: 60)
        #expect(claims.count == 2)
        let failed = try await fixture.store.recordDeliveryAttempt(fixture.attempt(claims[0], status: nil, .failed))
        #expect(failed?.status == .failed && failed?.nextAttemptAt == nil && failed?.lastError != nil)
        let gone = try await fixture.store.recordDeliveryAttempt(fixture.attempt(claims[1], status: 410, .endpointGone))
        #expect(gone?.status == .failed && gone?.lastStatusCode == 410)
        #expect(
            try await fixture.store.webhookEndpoint(workspaceId: fixture.workspace, id: endpoint.id)?.enabled == false)
    }

    @Test("a disabled endpoint's deliveries wait; a deleted endpoint's fail", arguments: Backend.all)
    func disabledAndDeleted(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let endpoint = try await fixture.endpoint()
        try await fixture.store.emit(fixture.purchase("pay_1"))
        _ = try await fixture.store.updateWebhookEndpoint(
            workspaceId: fixture.workspace, id: endpoint.id, WebhookEndpointUpdate(enabled: false))
        #expect(try await fixture.store.claimDueDeliveries(limit: 10, leaseSeconds: 60).isEmpty)
        _ = try await fixture.store.updateWebhookEndpoint(
            workspaceId: fixture.workspace, id: endpoint.id, WebhookEndpointUpdate(enabled: true))
        #expect(try await fixture.store.claimDueDeliveries(limit: 10, leaseSeconds: 60).count == 1)
        _ = try await fixture.store.deleteWebhookEndpoint(workspaceId: fixture.workspace, id: endpoint.id)
        let log = try await fixture.store.deliveries(DeliveryQuery(workspaceId: fixture.workspace))
        #expect(log.deliveries.map(\.status) == [.failed])
        #expect(log.deliveries.first?.lastError == "endpoint deleted")
        fixture.clock.advance(seconds: 120)
        #expect(try await fixture.store.claimDueDeliveries(limit: 10, leaseSeconds: 60).isEmpty)
    }

    @Test("the delivery log pages newest first and filters by endpoint, event and status", arguments: Backend.all)
    func deliveryLog(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let first = try await fixture.endpoint()
        let second = try await fixture.endpoint()
        var events: [NotificationEvent] = []
        for index in 1...3 { events.append(try await fixture.store.emit(fixture.purchase("pay_\(index)")).event) }
        let page1 = try await fixture.store.deliveries(DeliveryQuery(workspaceId: fixture.workspace, limit: 4))
        #expect(page1.deliveries.count == 4 && page1.nextCursor != nil)
        let page2 = try await fixture.store.deliveries(
            DeliveryQuery(workspaceId: fixture.workspace, limit: 4, before: page1.nextCursor))
        #expect(page2.deliveries.count == 2 && page2.nextCursor == nil)
        let ids = (page1.deliveries + page2.deliveries).map(\.id)
        #expect(ids == ids.sorted(by: >) && Set(ids).count == 6)
        let bySecond = try await fixture.store.deliveries(
            DeliveryQuery(workspaceId: fixture.workspace, endpointId: second.id))
        #expect(bySecond.deliveries.count == 3 && bySecond.deliveries.allSatisfy { $0.endpointId == second.id })
        let byEvent = try await fixture.store.deliveries(
            DeliveryQuery(workspaceId: fixture.workspace, eventId: events[1].id))
        #expect(Set(byEvent.deliveries.map(\.endpointId)) == [first.id, second.id])
        let claim = try #require(try await fixture.store.claimDueDeliveries(limit: 1, leaseSeconds: 60).first)
        try await fixture.store.recordDeliveryAttempt(fixture.attempt(claim, status: 204, .delivered))
        let delivered = try await fixture.store.deliveries(
            DeliveryQuery(workspaceId: fixture.workspace, status: .delivered))
        #expect(delivered.deliveries.map(\.id) == [claim.delivery.id])
        let other = try await fixture.another()
        #expect(try await other.store.deliveries(DeliveryQuery(workspaceId: other.workspace)).deliveries.isEmpty)
    }
}
