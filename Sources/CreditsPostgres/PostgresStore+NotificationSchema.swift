import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// `0005_notifications`: webhook endpoints, thresholds, the event outbox, deliveries and wallet alert
    /// states. Every key starts with `workspace_id`; only `webhook_deliveries_due` (the senders' queue) does
    /// not, as `holds_due` and `lots_due_to_expire` do not: candidates are found across workspaces, then
    /// claimed per workspace.
    static let notificationsMigration = Migration(
        name: "0005_notifications",
        statements: [
            """
            CREATE TABLE webhook_endpoints (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                id text COLLATE "C" NOT NULL,
                url text NOT NULL CHECK (url <> ''),
                description text NOT NULL,
                event_types text NOT NULL,
                enabled boolean NOT NULL,
                secret text NOT NULL CHECK (left(secret, 6) = 'whsec_'),
                created_at_ms bigint NOT NULL,
                updated_at_ms bigint NOT NULL,
                deleted_at_ms bigint,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            """
            CREATE TABLE notification_settings (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                low_balance_credits bigint CHECK (low_balance_credits > 0),
                runway_minutes integer CHECK (runway_minutes > 0),
                updated_at_ms bigint NOT NULL,
                PRIMARY KEY (workspace_id)
            )
            """,
            """
            CREATE TABLE notification_events (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                id text COLLATE "C" NOT NULL,
                type text NOT NULL,
                key text COLLATE "C" NOT NULL,
                payload text NOT NULL,
                occurred_at_ms bigint NOT NULL,
                created_at_ms bigint NOT NULL,
                PRIMARY KEY (workspace_id, id),
                CONSTRAINT notification_events_key UNIQUE (workspace_id, key)
            )
            """,
            """
            CREATE TABLE webhook_deliveries (
                workspace_id text COLLATE "C" NOT NULL,
                id text COLLATE "C" NOT NULL,
                event_id text COLLATE "C" NOT NULL,
                event_type text NOT NULL,
                endpoint_id text COLLATE "C" NOT NULL,
                status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                attempts integer NOT NULL CHECK (attempts >= 0),
                next_attempt_at_ms bigint,
                last_attempt_at_ms bigint,
                last_status_code integer,
                last_error text,
                delivered_at_ms bigint,
                claim_token text,
                claimed_until_ms bigint,
                created_at_ms bigint NOT NULL,
                PRIMARY KEY (workspace_id, id),
                FOREIGN KEY (workspace_id, event_id) REFERENCES notification_events (workspace_id, id),
                FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints (workspace_id, id),
                CHECK ((status = 'pending') = (next_attempt_at_ms IS NOT NULL)),
                CHECK ((status = 'delivered') = (delivered_at_ms IS NOT NULL))
            )
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at_ms) WHERE status = 'pending'",
            "CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (workspace_id, endpoint_id, id)",
            """
            CREATE TABLE wallet_alerts (
                workspace_id text COLLATE "C" NOT NULL,
                wallet_id text COLLATE "C" NOT NULL,
                kind text NOT NULL CHECK (kind IN ('low_balance', 'empty', 'runway_low')),
                crossings integer NOT NULL CHECK (crossings >= 0),
                fired_at_ms bigint,
                PRIMARY KEY (workspace_id, wallet_id, kind),
                FOREIGN KEY (workspace_id, wallet_id) REFERENCES wallets (workspace_id, id)
            )
            """,
        ])
}

/// Notification column lists, in the order the decoders below read them.
enum NotificationColumns {
    static let endpoint =
        "workspace_id, id, url, description, event_types, enabled, secret, created_at_ms, updated_at_ms"
    static let event = "workspace_id, id, type, key, payload, occurred_at_ms, created_at_ms"
    static func delivery(_ alias: String) -> String {
        [
            "workspace_id", "id", "event_id", "event_type", "endpoint_id", "status", "attempts", "next_attempt_at_ms",
            "last_attempt_at_ms", "last_status_code", "last_error", "delivered_at_ms", "created_at_ms",
        ].map { alias + "." + $0 }.joined(separator: ", ")
    }
    static let deliveryCount = 13
}

extension WebhookEndpoint {
    init(row: PostgresRow) throws {
        let (workspaceId, id, url, description, types, enabled, secret, createdAt, updatedAt) = try row.decode(
            (String, String, String, String, String, Bool, String, Int64, Int64).self)
        self.init(
            id: id, workspaceId: workspaceId, url: url, description: description,
            eventTypes: EventTypeList.decode(types), enabled: enabled, secret: secret,
            createdAt: Date(millis: createdAt), updatedAt: Date(millis: updatedAt))
    }
}

extension NotificationEvent {
    init(row: PostgresRow) throws {
        let (workspaceId, id, type, key, payload, occurredAt, createdAt) = try row.decode(
            (String, String, String, String, String, Int64, Int64).self)
        self.init(
            id: id, workspaceId: workspaceId, type: try decodeEnum(type, as: NotificationEventType.self), key: key,
            payload: payload, occurredAt: Date(millis: occurredAt), createdAt: Date(millis: createdAt))
    }
}

extension WebhookDelivery {
    /// Decodes the first `NotificationColumns.deliveryCount` columns of a row.
    init(cells row: PostgresRandomAccessRow) throws {
        func cell<T: PostgresDecodable>(_ index: Int, _ type: T.Type) throws -> T { try row[index].decode(T.self) }
        self.init(
            id: try cell(1, String.self), workspaceId: try cell(0, String.self), eventId: try cell(2, String.self),
            eventType: try decodeEnum(try cell(3, String.self), as: NotificationEventType.self),
            endpointId: try cell(4, String.self),
            status: try decodeEnum(try cell(5, String.self), as: DeliveryStatus.self),
            attempts: Int(try cell(6, Int32.self)), nextAttemptAt: try cell(7, Int64?.self).map(Date.init(millis:)),
            lastAttemptAt: try cell(8, Int64?.self).map(Date.init(millis:)),
            lastStatusCode: try cell(9, Int32?.self).map(Int.init), lastError: try cell(10, String?.self),
            deliveredAt: try cell(11, Int64?.self).map(Date.init(millis:)),
            createdAt: Date(millis: try cell(12, Int64.self)))
    }
}

extension PostgresStore {
    /// The names of every migration this build applies, in order (for tests and `migrate` output).
    public static var migrationNames: [String] { migrations.map(\.name) }
}
