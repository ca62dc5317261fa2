import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

extension PostgresStore: NotificationStore {
    public func createWebhookEndpoint(_ new: NewWebhookEndpoint) async throws -> WebhookEndpoint {
        try new.validate()
        let now = now()
        let endpoint = WebhookEndpoint(
            id: ids.next(.webhookEndpoint), workspaceId: new.workspaceId, url: new.url, description: new.description,
            eventTypes: new.eventTypes, enabled: true, secret: new.secret, createdAt: now, updatedAt: now)
        return try await transaction("createWebhookEndpoint", .notIdempotent) { connection in
            // Locking the workspace row makes concurrent creations count one after the other.
            guard
                !(try await rows(
                    "SELECT 1 FROM workspaces WHERE workspace_id = \(new.workspaceId) FOR NO KEY UPDATE",
                    on: connection
                ).isEmpty)
            else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
            let count =
                try await rows(
                    """
                    SELECT count(*) FROM webhook_endpoints
                    WHERE workspace_id = \(new.workspaceId) AND deleted_at_ms IS NULL
                    """, on: connection
                ).first?.decode(Int64.self) ?? 0
            guard count < Limits.webhookEndpointsMax else {
                throw LedgerRefusal.invalid("a workspace has at most \(Limits.webhookEndpointsMax) webhook endpoints")
            }
            try await execute(
                """
                INSERT INTO webhook_endpoints (\(unescaped: NotificationColumns.endpoint))
                VALUES (\(endpoint.workspaceId), \(endpoint.id), \(endpoint.url), \(endpoint.description), \
                \(EventTypeList.encode(endpoint.eventTypes)), true, \(endpoint.secret), \(now.millis), \(now.millis))
                """, on: connection)
            return endpoint
        }
    }

    public func webhookEndpoints(workspaceId: WorkspaceID) async throws -> [WebhookEndpoint] {
        try await read("webhookEndpoints") { connection in
            try await rows(
                """
                SELECT \(unescaped: NotificationColumns.endpoint) FROM webhook_endpoints
                WHERE workspace_id = \(workspaceId) AND deleted_at_ms IS NULL ORDER BY id
                """, on: connection
            ).map(WebhookEndpoint.init(row:))
        }
    }

    public func webhookEndpoint(workspaceId: WorkspaceID, id: WebhookEndpointID) async throws -> WebhookEndpoint? {
        try await read("webhookEndpoint") { connection in
            try await endpoint(workspaceId, id, locking: false, on: connection)
        }
    }

    func endpoint(
        _ workspaceId: WorkspaceID, _ id: WebhookEndpointID, locking: Bool, on connection: PostgresConnection
    ) async throws -> WebhookEndpoint? {
        try await rows(
            """
            SELECT \(unescaped: NotificationColumns.endpoint) FROM webhook_endpoints
            WHERE workspace_id = \(workspaceId) AND id = \(id) AND deleted_at_ms IS NULL
            \(unescaped: locking ? "FOR UPDATE" : "")
            """, on: connection
        ).first.map(WebhookEndpoint.init(row:))
    }

    public func updateWebhookEndpoint(
        workspaceId: WorkspaceID, id: WebhookEndpointID, _ update: WebhookEndpointUpdate
    ) async throws -> WebhookEndpoint? {
        try update.validate()
        let now = now()
        return try await transaction("updateWebhookEndpoint") { connection in
            guard let endpoint = try await endpoint(workspaceId, id, locking: true, on: connection) else { return nil }
            let updated = update.applied(to: endpoint, now: now)
            try await execute(
                """
                UPDATE webhook_endpoints SET url = \(updated.url), description = \(updated.description), \
                event_types = \(EventTypeList.encode(updated.eventTypes)), enabled = \(updated.enabled), \
                updated_at_ms = \(now.millis)
                WHERE workspace_id = \(workspaceId) AND id = \(id)
                """, on: connection)
            return updated
        }
    }

    public func deleteWebhookEndpoint(workspaceId: WorkspaceID, id: WebhookEndpointID) async throws -> WebhookEndpoint?
    {
        let now = now()
        return try await transaction("deleteWebhookEndpoint") { connection in
            guard let endpoint = try await endpoint(workspaceId, id, locking: true, on: connection) else { return nil }
            try await execute(
                """
                UPDATE webhook_endpoints SET deleted_at_ms = \(now.millis), enabled = false, updated_at_ms = \(now.millis)
                WHERE workspace_id = \(workspaceId) AND id = \(id)
                """, on: connection)
            try await execute(
                """
                UPDATE webhook_deliveries SET status = 'failed', next_attempt_at_ms = NULL,
                    last_error = 'endpoint deleted', claim_token = NULL, claimed_until_ms = NULL
                WHERE workspace_id = \(workspaceId) AND endpoint_id = \(id) AND status = 'pending'
                """, on: connection)
            return endpoint
        }
    }

    public func notificationSettings(workspaceId: WorkspaceID) async throws -> NotificationSettings {
        try await read("notificationSettings") { connection in
            try await settings(workspaceId, on: connection)
        }
    }

    func settings(_ workspaceId: WorkspaceID, on connection: PostgresConnection) async throws -> NotificationSettings {
        guard
            let row = try await rows(
                """
                SELECT low_balance_credits, runway_minutes FROM notification_settings
                WHERE workspace_id = \(workspaceId)
                """, on: connection
            ).first
        else { return .defaults }
        let (low, runway) = try row.decode((Int64?, Int32?).self)
        return NotificationSettings(lowBalanceCredits: low.map { Credits($0) }, runwayMinutes: runway.map(Int.init))
    }

    public func setNotificationSettings(
        workspaceId: WorkspaceID, _ settings: NotificationSettings
    ) async throws -> NotificationSettings {
        try settings.validate()
        let now = now()
        let runway = settings.runwayMinutes.map(Int32.init)
        try await transaction("setNotificationSettings") { connection in
            guard try await workspaceExists(workspaceId, on: connection) else {
                throw LedgerRefusal(.workspaceNotFound, "no such workspace")
            }
            try await execute(
                """
                INSERT INTO notification_settings (workspace_id, low_balance_credits, runway_minutes, updated_at_ms)
                VALUES (\(workspaceId), \(settings.lowBalanceCredits?.count), \(runway), \(now.millis))
                ON CONFLICT (workspace_id) DO UPDATE SET low_balance_credits = excluded.low_balance_credits,
                    runway_minutes = excluded.runway_minutes, updated_at_ms = excluded.updated_at_ms
                """, on: connection)
        }
        return settings
    }

    public func notificationEvent(workspaceId: WorkspaceID, id: NotificationID) async throws -> NotificationEvent? {
        try await read("notificationEvent") { connection in
            try await rows(
                """
                SELECT \(unescaped: NotificationColumns.event) FROM notification_events
                WHERE workspace_id = \(workspaceId) AND id = \(id)
                """, on: connection
            ).first.map(NotificationEvent.init(row:))
        }
    }

    public func deliveries(_ query: DeliveryQuery) async throws -> DeliveryPage {
        try query.validate()
        let status = query.status?.rawValue
        return try await read("deliveries") { connection in
            let fetched = try await rows(
                """
                SELECT \(unescaped: NotificationColumns.delivery("d")) FROM webhook_deliveries d
                WHERE d.workspace_id = \(query.workspaceId)
                  AND (\(query.endpointId)::text IS NULL OR d.endpoint_id = \(query.endpointId))
                  AND (\(query.eventId)::text IS NULL OR d.event_id = \(query.eventId))
                  AND (\(status)::text IS NULL OR d.status = \(status))
                  AND (\(query.before)::text IS NULL OR d.id < \(query.before))
                ORDER BY d.id DESC LIMIT \(query.limit + 1)
                """, on: connection
            ).map { try WebhookDelivery(cells: $0.makeRandomAccess()) }
            return DeliveryPage(fetched: fetched, limit: query.limit)
        }
    }
}
