import CreditsCore
import Foundation

/// The in-memory notification tables (see `NotificationStore`).
struct MemoryNotificationTables: Sendable {
    var endpoints: [WebhookEndpointID: WebhookEndpoint] = [:]
    var deletedEndpoints: Set<WebhookEndpointID> = []
    var settings: [WorkspaceID: NotificationSettings] = [:]
    var events: [NotificationID: NotificationEvent] = [:]
    var eventsByKey: [String: NotificationID] = [:]
    var deliveries: [DeliveryID: WebhookDelivery] = [:]
    var claims: [DeliveryID: (token: String, until: Date)] = [:]
    var alerts: [String: WalletAlertState] = [:]
}

extension MemoryStore: NotificationStore {
    public func createWebhookEndpoint(_ new: NewWebhookEndpoint) async throws -> WebhookEndpoint {
        try new.validate()
        guard workspaces[new.workspaceId] != nil else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        guard liveEndpoints(new.workspaceId).count < Limits.webhookEndpointsMax else {
            throw LedgerRefusal.invalid("a workspace has at most \(Limits.webhookEndpointsMax) webhook endpoints")
        }
        let now = clock.now()
        let endpoint = WebhookEndpoint(
            id: ids.next(.webhookEndpoint), workspaceId: new.workspaceId, url: new.url, description: new.description,
            eventTypes: new.eventTypes, enabled: true, secret: new.secret, createdAt: now, updatedAt: now)
        notifications.endpoints[endpoint.id] = endpoint
        return endpoint
    }

    public func webhookEndpoints(workspaceId: WorkspaceID) async throws -> [WebhookEndpoint] {
        liveEndpoints(workspaceId)
    }

    /// The workspace's endpoints that are not deleted, oldest first.
    private func liveEndpoints(_ workspaceId: WorkspaceID) -> [WebhookEndpoint] {
        notifications.endpoints.values
            .filter { $0.workspaceId == workspaceId && !notifications.deletedEndpoints.contains($0.id) }
            .sorted { $0.id < $1.id }
    }

    public func webhookEndpoint(workspaceId: WorkspaceID, id: WebhookEndpointID) async throws -> WebhookEndpoint? {
        liveEndpoint(workspaceId, id)
    }

    private func liveEndpoint(_ workspaceId: WorkspaceID, _ id: WebhookEndpointID) -> WebhookEndpoint? {
        guard let endpoint = notifications.endpoints[id], endpoint.workspaceId == workspaceId,
            !notifications.deletedEndpoints.contains(id)
        else { return nil }
        return endpoint
    }

    public func updateWebhookEndpoint(
        workspaceId: WorkspaceID, id: WebhookEndpointID, _ update: WebhookEndpointUpdate
    ) async throws -> WebhookEndpoint? {
        try update.validate()
        guard let endpoint = liveEndpoint(workspaceId, id) else { return nil }
        let updated = update.applied(to: endpoint, now: clock.now())
        notifications.endpoints[id] = updated
        return updated
    }

    public func deleteWebhookEndpoint(workspaceId: WorkspaceID, id: WebhookEndpointID) async throws -> WebhookEndpoint?
    {
        guard let endpoint = liveEndpoint(workspaceId, id) else { return nil }
        notifications.deletedEndpoints.insert(id)
        for var delivery in notifications.deliveries.values
        where delivery.endpointId == id && delivery.status == .pending {
            delivery.status = .failed
            delivery.nextAttemptAt = nil
            delivery.lastError = "endpoint deleted"
            notifications.deliveries[delivery.id] = delivery
        }
        return endpoint
    }

    public func notificationSettings(workspaceId: WorkspaceID) async throws -> NotificationSettings {
        notifications.settings[workspaceId] ?? .defaults
    }

    public func setNotificationSettings(
        workspaceId: WorkspaceID, _ settings: NotificationSettings
    ) async throws -> NotificationSettings {
        try settings.validate()
        guard workspaces[workspaceId] != nil else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        notifications.settings[workspaceId] = settings
        return settings
    }

    // MARK: Outbox

    public func emit(_ notification: NewNotification) async throws -> EmitResult {
        try emitNow(notification)
    }

    /// Emits without a suspension point, so the key check and the insert are one actor step.
    func emitNow(_ notification: NewNotification) throws -> EmitResult {
        try notification.validate()
        guard workspaces[notification.workspaceId] != nil else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        let keyPath = notification.workspaceId + "/" + notification.key
        if let id = notifications.eventsByKey[keyPath], let event = notifications.events[id] {
            return EmitResult(event: event, created: false, deliveries: 0)
        }
        let now = clock.now()
        let event = try notification.event(id: ids.next(.notification), now: now)
        notifications.events[event.id] = event
        notifications.eventsByKey[keyPath] = event.id
        let targets = liveEndpoints(event.workspaceId).filter {
            $0.enabled && $0.subscribes(to: event.type)
        }
        for endpoint in targets {
            let delivery = WebhookDelivery(
                id: ids.next(.delivery), workspaceId: event.workspaceId, eventId: event.id, eventType: event.type,
                endpointId: endpoint.id, status: .pending, attempts: 0, nextAttemptAt: now, createdAt: now)
            notifications.deliveries[delivery.id] = delivery
        }
        return EmitResult(event: event, created: true, deliveries: targets.count)
    }

    public func notificationEvent(workspaceId: WorkspaceID, id: NotificationID) async throws -> NotificationEvent? {
        notifications.events[id].flatMap { $0.workspaceId == workspaceId ? $0 : nil }
    }

    public func claimDueDeliveries(limit: Int, leaseSeconds: Double) async throws -> [DeliveryClaim] {
        let now = clock.now()
        let due = notifications.deliveries.values.filter { delivery in
            guard delivery.status == .pending, let next = delivery.nextAttemptAt, next <= now,
                let endpoint = notifications.endpoints[delivery.endpointId], endpoint.enabled,
                !notifications.deletedEndpoints.contains(endpoint.id)
            else { return false }
            return notifications.claims[delivery.id].map { $0.until <= now } ?? true
        }
        .sorted { ($0.nextAttemptAt!, $0.id) < ($1.nextAttemptAt!, $1.id) }
        .prefix(max(limit, 0))
        let until = now.addingTimeInterval(leaseSeconds)
        return due.map { delivery in
            let token = ids.next(.delivery)
            notifications.claims[delivery.id] = (token, until)
            let endpoint = notifications.endpoints[delivery.endpointId]!
            return DeliveryClaim(
                delivery: delivery, url: endpoint.url, secret: endpoint.secret,
                payload: notifications.events[delivery.eventId]!.payload, token: token, claimedUntil: until)
        }
    }

    public func recordDeliveryAttempt(_ attempt: DeliveryAttempt) async throws -> WebhookDelivery? {
        guard var delivery = notifications.deliveries[attempt.deliveryId],
            delivery.workspaceId == attempt.workspaceId, delivery.status == .pending,
            notifications.claims[attempt.deliveryId]?.token == attempt.token
        else { return nil }
        notifications.claims[attempt.deliveryId] = nil
        delivery.record(attempt)
        notifications.deliveries[delivery.id] = delivery
        if attempt.decision == .endpointGone, var endpoint = notifications.endpoints[delivery.endpointId] {
            endpoint.enabled = false
            endpoint.updatedAt = attempt.attemptedAt
            notifications.endpoints[endpoint.id] = endpoint
        }
        return delivery
    }

    public func deliveries(_ query: DeliveryQuery) async throws -> DeliveryPage {
        try query.validate()
        let matching = notifications.deliveries.values.filter {
            $0.workspaceId == query.workspaceId && (query.endpointId == nil || $0.endpointId == query.endpointId)
                && (query.eventId == nil || $0.eventId == query.eventId)
                && (query.status == nil || $0.status == query.status)
                && (query.before == nil || $0.id < query.before!)
        }
        .sorted { $0.id > $1.id }
        return DeliveryPage(fetched: Array(matching.prefix(query.limit + 1)), limit: query.limit)
    }

    // MARK: Wallet alerts

    public func spendingWindow(
        workspaceId: WorkspaceID, walletId: WalletID, since: Date
    ) async throws -> SpendingWindow {
        recentSpending(workspaceId, walletId, since: since)
    }

    private func recentSpending(_ workspaceId: WorkspaceID, _ walletId: WalletID, since: Date) -> SpendingWindow {
        let recent = entries.filter {
            $0.workspaceId == workspaceId && $0.walletId == walletId && $0.createdAt >= since
                && ($0.kind == .hold || $0.kind == .capture)
        }
        return SpendingWindow(
            since: since, charged: recent.filter { $0.kind == .capture }.sum(\.amount),
            firstActivityAt: recent.map(\.createdAt).min())
    }

    public func walletsWithOpenHolds(limit: Int) async throws -> [WalletRef] {
        let open = Set(
            holds.values.filter { $0.state == .held }.map {
                WalletRef(workspaceId: $0.workspaceId, walletId: $0.walletId)
            })
        return Array(open.sorted { $0.walletId < $1.walletId }.prefix(max(limit, 0)))
    }

    public func evaluateWalletAlerts(workspaceId: WorkspaceID, walletId: WalletID) async throws -> [EmitResult] {
        let now = clock.now()
        guard let wallet = wallets[walletId], wallet.workspaceId == workspaceId else {
            throw LedgerRefusal(.walletNotFound, "no wallet \(walletId) in this workspace")
        }
        let balance = Balance(walletId: walletId, lots: lots.values.filter { $0.walletId == walletId }, now: now)
        let window = recentSpending(workspaceId, walletId, since: now.addingTimeInterval(-Runway.windowSeconds))
        let settings = notifications.settings[workspaceId] ?? .defaults
        let states = WalletAlertKind.allCases.compactMap { notifications.alerts[walletId + "/" + $0.rawValue] }
        let (changed, events) = WalletAlerts.evaluate(
            WalletObservation(workspaceId: workspaceId, balance: balance, window: window), settings: settings,
            states: states, now: now)
        for state in changed { notifications.alerts[walletId + "/" + state.kind.rawValue] = state }
        var results: [EmitResult] = []
        for event in events { results.append(try emitNow(event)) }
        return results
    }
}

extension WebhookDelivery {
    /// This delivery after `attempt`.
    public mutating func record(_ attempt: DeliveryAttempt) {
        attempts += 1
        lastAttemptAt = attempt.attemptedAt
        lastStatusCode = attempt.statusCode
        lastError = attempt.error
        switch attempt.decision {
        case .delivered:
            status = .delivered
            deliveredAt = attempt.attemptedAt
            nextAttemptAt = nil
            lastError = nil
        case .retry(let at):
            nextAttemptAt = at
        case .failed, .endpointGone:
            status = .failed
            nextAttemptAt = nil
        }
    }
}
