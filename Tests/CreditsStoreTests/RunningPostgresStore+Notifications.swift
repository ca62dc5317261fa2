import CreditsCore
import CreditsStore
import Foundation

/// `NotificationStore`, forwarded to the PostgreSQL store.
extension RunningPostgresStore {
    func createWebhookEndpoint(_ endpoint: NewWebhookEndpoint) async throws -> WebhookEndpoint {
        try await base.createWebhookEndpoint(endpoint)
    }
    func webhookEndpoints(workspaceId: WorkspaceID) async throws -> [WebhookEndpoint] {
        try await base.webhookEndpoints(workspaceId: workspaceId)
    }
    func webhookEndpoint(workspaceId: WorkspaceID, id: WebhookEndpointID) async throws -> WebhookEndpoint? {
        try await base.webhookEndpoint(workspaceId: workspaceId, id: id)
    }
    func updateWebhookEndpoint(
        workspaceId: WorkspaceID, id: WebhookEndpointID, _ update: WebhookEndpointUpdate
    ) async throws -> WebhookEndpoint? {
        try await base.updateWebhookEndpoint(workspaceId: workspaceId, id: id, update)
    }
    func deleteWebhookEndpoint(workspaceId: WorkspaceID, id: WebhookEndpointID) async throws -> WebhookEndpoint? {
        try await base.deleteWebhookEndpoint(workspaceId: workspaceId, id: id)
    }
    func notificationSettings(workspaceId: WorkspaceID) async throws -> NotificationSettings {
        try await base.notificationSettings(workspaceId: workspaceId)
    }
    func setNotificationSettings(
        workspaceId: WorkspaceID, _ settings: NotificationSettings
    ) async throws -> NotificationSettings {
        try await base.setNotificationSettings(workspaceId: workspaceId, settings)
    }
    func emit(_ notification: NewNotification) async throws -> EmitResult { try await base.emit(notification) }
    func notificationEvent(workspaceId: WorkspaceID, id: NotificationID) async throws -> NotificationEvent? {
        try await base.notificationEvent(workspaceId: workspaceId, id: id)
    }
    func claimDueDeliveries(limit: Int, leaseSeconds: Double) async throws -> [DeliveryClaim] {
        try await base.claimDueDeliveries(limit: limit, leaseSeconds: leaseSeconds)
    }
    func recordDeliveryAttempt(_ attempt: DeliveryAttempt) async throws -> WebhookDelivery? {
        try await base.recordDeliveryAttempt(attempt)
    }
    func deliveries(_ query: DeliveryQuery) async throws -> DeliveryPage { try await base.deliveries(query) }
    func spendingWindow(workspaceId: WorkspaceID, walletId: WalletID, since: Date) async throws -> SpendingWindow {
        try await base.spendingWindow(workspaceId: workspaceId, walletId: walletId, since: since)
    }
    func walletsWithOpenHolds(limit: Int) async throws -> [WalletRef] {
        try await base.walletsWithOpenHolds(limit: limit)
    }
    func evaluateWalletAlerts(workspaceId: WorkspaceID, walletId: WalletID) async throws -> [EmitResult] {
        try await base.evaluateWalletAlerts(workspaceId: workspaceId, walletId: walletId)
    }
}
