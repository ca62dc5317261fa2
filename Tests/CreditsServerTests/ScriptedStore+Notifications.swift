import CreditsCore
import CreditsStore
import Foundation

/// `NotificationStore`, forwarded to the memory store.
extension ScriptedStore {
    func createWebhookEndpoint(_ endpoint: NewWebhookEndpoint) async throws -> WebhookEndpoint {
        try await inner.createWebhookEndpoint(endpoint)
    }
    func webhookEndpoints(workspaceId: WorkspaceID) async throws -> [WebhookEndpoint] {
        try await inner.webhookEndpoints(workspaceId: workspaceId)
    }
    func webhookEndpoint(workspaceId: WorkspaceID, id: WebhookEndpointID) async throws -> WebhookEndpoint? {
        try await inner.webhookEndpoint(workspaceId: workspaceId, id: id)
    }
    func updateWebhookEndpoint(
        workspaceId: WorkspaceID, id: WebhookEndpointID, _ update: WebhookEndpointUpdate
    ) async throws -> WebhookEndpoint? {
        try await inner.updateWebhookEndpoint(workspaceId: workspaceId, id: id, update)
    }
    func deleteWebhookEndpoint(workspaceId: WorkspaceID, id: WebhookEndpointID) async throws -> WebhookEndpoint? {
        try await inner.deleteWebhookEndpoint(workspaceId: workspaceId, id: id)
    }
    func notificationSettings(workspaceId: WorkspaceID) async throws -> NotificationSettings {
        try await inner.notificationSettings(workspaceId: workspaceId)
    }
    func setNotificationSettings(
        workspaceId: WorkspaceID, _ settings: NotificationSettings
    ) async throws -> NotificationSettings {
        try await inner.setNotificationSettings(workspaceId: workspaceId, settings)
    }
    func emit(_ notification: NewNotification) async throws -> EmitResult { try await inner.emit(notification) }
    func notificationEvent(workspaceId: WorkspaceID, id: NotificationID) async throws -> NotificationEvent? {
        try await inner.notificationEvent(workspaceId: workspaceId, id: id)
    }
    func claimDueDeliveries(limit: Int, leaseSeconds: Double) async throws -> [DeliveryClaim] {
        try await inner.claimDueDeliveries(limit: limit, leaseSeconds: leaseSeconds)
    }
    func recordDeliveryAttempt(_ attempt: DeliveryAttempt) async throws -> WebhookDelivery? {
        try await inner.recordDeliveryAttempt(attempt)
    }
    func deliveries(_ query: DeliveryQuery) async throws -> DeliveryPage { try await inner.deliveries(query) }
    func spendingWindow(workspaceId: WorkspaceID, walletId: WalletID, since: Date) async throws -> SpendingWindow {
        try await inner.spendingWindow(workspaceId: workspaceId, walletId: walletId, since: since)
    }
    func walletsWithOpenHolds(limit: Int) async throws -> [WalletRef] {
        try await inner.walletsWithOpenHolds(limit: limit)
    }
    func evaluateWalletAlerts(workspaceId: WorkspaceID, walletId: WalletID) async throws -> [EmitResult] {
        try await inner.evaluateWalletAlerts(workspaceId: workspaceId, walletId: walletId)
    }
}
