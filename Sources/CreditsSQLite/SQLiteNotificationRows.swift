import CreditsCore
import CreditsStore
import Foundation
import GRDB

/// Reading notification rows. Times are INTEGER milliseconds (UTC), as in the ledger tables.
enum NotificationRows {
    static let endpointColumns =
        "id, workspace_id, url, description, event_types, enabled, secret, created_at, updated_at"
    static func endpoint(_ row: Columns) -> WebhookEndpoint {
        WebhookEndpoint(
            id: row.text(0), workspaceId: row.text(1), url: row.text(2), description: row.text(3),
            eventTypes: EventTypeList.decode(row.text(4)), enabled: row.integer(5) != 0, secret: row.text(6),
            createdAt: SQLiteRows.date(row, 7), updatedAt: SQLiteRows.date(row, 8))
    }

    /// The workspace's endpoint `id`, unless deleted.
    static func endpoint(_ db: Database, _ workspaceId: WorkspaceID, _ id: WebhookEndpointID) throws -> WebhookEndpoint?
    {
        try db.firstRow(
            """
            SELECT \(endpointColumns) FROM webhook_endpoints WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL
            """, [.text(id), .text(workspaceId)], endpoint)
    }

    static func settings(_ db: Database, _ workspaceId: WorkspaceID) throws -> NotificationSettings {
        try db.firstRow(
            "SELECT low_balance_credits, runway_minutes FROM notification_settings WHERE workspace_id = ?",
            [.text(workspaceId)]
        ) { row in
            NotificationSettings(
                lowBalanceCredits: row.optionalInteger(0).map { Credits($0) },
                runwayMinutes: row.optionalInteger(1).map { Int($0) })
        } ?? .defaults
    }

    static let eventColumns = "id, workspace_id, type, key, payload, occurred_at, created_at"
    static func event(_ row: Columns) -> NotificationEvent {
        NotificationEvent(
            id: row.text(0), workspaceId: row.text(1),
            type: NotificationEventType(rawValue: row.text(2)) ?? .webhookTest,
            key: row.text(3), payload: row.text(4), occurredAt: SQLiteRows.date(row, 5),
            createdAt: SQLiteRows.date(row, 6))
    }

    static let deliveryColumnCount: Int32 = 13
    /// The delivery columns, qualified by `alias`.
    static func deliveryColumns(_ alias: String) -> String {
        [
            "id", "workspace_id", "event_id", "event_type", "endpoint_id", "status", "attempts", "next_attempt_at",
            "last_attempt_at", "last_status_code", "last_error", "delivered_at", "created_at",
        ].map { alias + "." + $0 }.joined(separator: ", ")
    }
    static func delivery(_ row: Columns) -> WebhookDelivery {
        WebhookDelivery(
            id: row.text(0), workspaceId: row.text(1), eventId: row.text(2),
            eventType: NotificationEventType(rawValue: row.text(3)) ?? .webhookTest, endpointId: row.text(4),
            status: DeliveryStatus(rawValue: row.text(5)) ?? .failed, attempts: Int(row.integer(6)),
            nextAttemptAt: SQLiteRows.optionalDate(row, 7), lastAttemptAt: SQLiteRows.optionalDate(row, 8),
            lastStatusCode: row.optionalInteger(9).map(Int.init), lastError: row.optionalText(10),
            deliveredAt: SQLiteRows.optionalDate(row, 11), createdAt: SQLiteRows.date(row, 12))
    }

    static func alert(_ row: Columns) -> WalletAlertState? {
        guard let kind = WalletAlertKind(rawValue: row.text(0)) else { return nil }
        return WalletAlertState(kind: kind, crossings: Int(row.integer(1)), firedAt: SQLiteRows.optionalDate(row, 2))
    }
}
