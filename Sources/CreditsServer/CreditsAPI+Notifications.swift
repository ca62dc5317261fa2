import CreditsCore
import CreditsStore
import CreditsWebhooks
import Foundation
import Hummingbird

/// Workspace routes over notifications: webhook endpoints (secret shown once), thresholds, the delivery
/// log, and a wallet's runway. Everything is scoped to the key's workspace.
extension CreditsAPI {
    /// `POST /v1/webhook-endpoints` `{url, description?, eventTypes?}`: 201 with the `whsec_` secret, shown
    /// only here.
    func createWebhookEndpoint(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let body = try await decodeBody(CreateWebhookEndpointBody.self, from: request)
        let new = NewWebhookEndpoint(
            workspaceId: key.workspaceId, url: body.url, description: body.description ?? "",
            eventTypes: try eventTypes(body.eventTypes ?? []), secret: StandardWebhookSignature.generateSecret())
        let endpoint = try await store.createWebhookEndpoint(new)
        context.logger.info("webhook endpoint created", metadata: ["endpoint": "\(endpoint.id)", "by": "\(key.actor)"])
        return try JSONResponse.make(WebhookEndpointView(endpoint, showingSecret: true), status: .created)
    }

    /// `GET /v1/webhook-endpoints`: the workspace's endpoints, without secrets.
    func listWebhookEndpoints(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let endpoints = try await store.webhookEndpoints(workspaceId: key.workspaceId)
        return try JSONResponse.make(WebhookEndpointList(webhookEndpoints: endpoints.map { WebhookEndpointView($0) }))
    }

    /// `GET /v1/webhook-endpoints/{endpointId}`.
    func getWebhookEndpoint(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let id = try parameter("endpointId", context)
        guard let endpoint = try await store.webhookEndpoint(workspaceId: key.workspaceId, id: id) else {
            throw Self.endpointNotFound(id)
        }
        return try JSONResponse.make(WebhookEndpointView(endpoint))
    }

    /// `PATCH /v1/webhook-endpoints/{endpointId}` `{url?, description?, eventTypes?, enabled?}`.
    func updateWebhookEndpoint(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let id = try parameter("endpointId", context)
        let body = try await decodeBody(UpdateWebhookEndpointBody.self, from: request)
        let update = WebhookEndpointUpdate(
            url: body.url, description: body.description, eventTypes: try body.eventTypes.map(eventTypes),
            enabled: body.enabled)
        guard let endpoint = try await store.updateWebhookEndpoint(workspaceId: key.workspaceId, id: id, update)
        else { throw Self.endpointNotFound(id) }
        return try JSONResponse.make(WebhookEndpointView(endpoint))
    }

    /// `DELETE /v1/webhook-endpoints/{endpointId}`: no more deliveries; pending ones fail.
    func deleteWebhookEndpoint(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let id = try parameter("endpointId", context)
        guard let endpoint = try await store.deleteWebhookEndpoint(workspaceId: key.workspaceId, id: id) else {
            throw Self.endpointNotFound(id)
        }
        context.logger.info("webhook endpoint deleted", metadata: ["endpoint": "\(id)", "by": "\(key.actor)"])
        return try JSONResponse.make(WebhookEndpointView(endpoint))
    }

    /// `GET /v1/webhook-deliveries?endpointId=&eventId=&status=&limit=&cursor=`: the delivery log, newest first.
    func listDeliveries(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        let query = request.uri.queryParameters
        var limit = Limits.pageSizeDefault
        if let text = query.get("limit") {
            guard let value = Int(text) else { throw APIError.badRequest("limit must be an integer") }
            limit = value
        }
        var status: DeliveryStatus?
        if let text = query.get("status") {
            guard let value = DeliveryStatus(rawValue: text) else {
                throw LedgerRefusal.invalid("status must be one of pending, delivered, failed")
            }
            status = value
        }
        let deliveryQuery = DeliveryQuery(
            workspaceId: key.workspaceId, endpointId: query.get("endpointId"), eventId: query.get("eventId"),
            status: status, limit: limit, before: query.get("cursor"))
        try deliveryQuery.validate()
        return try JSONResponse.make(try await store.deliveries(deliveryQuery))
    }

    /// `GET /v1/notification-settings`: the workspace's thresholds.
    func getNotificationSettings(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let settings = try await store.notificationSettings(workspaceId: key.workspaceId)
        return try JSONResponse.make(NotificationSettingsView(settings))
    }

    /// `PUT /v1/notification-settings` `{lowBalanceCredits, runwayMinutes}`: replaces both; null or missing
    /// turns a threshold off.
    func putNotificationSettings(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let body = try await decodeBody(NotificationSettingsView.self, from: request)
        let settings = try await store.setNotificationSettings(workspaceId: key.workspaceId, body.settings)
        return try JSONResponse.make(NotificationSettingsView(settings))
    }

    /// `GET /v1/wallets/{walletId}/runway`: how long the wallet lasts at its current dialing pace.
    func runway(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let walletId = try parameter("walletId", context)
        try checkVisible(walletId, key, LedgerRefusal(.walletNotFound, "no wallet \(walletId) in this workspace"))
        return try JSONResponse.make(try await runwayView(key.workspaceId, walletId).runway)
    }

    /// The wallet's balance and runway, measured at the store's instant.
    func runwayView(_ workspaceId: WorkspaceID, _ walletId: WalletID) async throws -> BalanceWithRunway {
        let balance = try await store.balance(workspaceId: workspaceId, walletId: walletId)
        let runway = try await store.runway(
            workspaceId: workspaceId, walletId: walletId, balance: balance, now: balance.asOf)
        return BalanceWithRunway(balance: balance, runway: RunwayView(runway))
    }

    /// Event type names as a client gives them; an unknown name is a 422.
    private func eventTypes(_ names: [String]) throws(LedgerRefusal) -> [NotificationEventType] {
        var types: [NotificationEventType] = []
        for name in names {
            guard let type = NotificationEventType(rawValue: name) else {
                let known = NotificationEventType.allCases.map(\.rawValue).joined(separator: ", ")
                throw LedgerRefusal.invalid("unknown event type \(name); known types: \(known)")
            }
            if !types.contains(type) { types.append(type) }
        }
        return types
    }

    static func endpointNotFound(_ id: String) -> APIError {
        APIError(.notFound, .webhookEndpointNotFound, "no webhook endpoint \(id) in this workspace")
    }
}
