import GRDB

extension SQLiteSchema {
    /// `005_notifications`: webhook endpoints, thresholds, the event outbox, deliveries and wallet alert states.
    static func registerNotifications(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("005_notifications") { db in
            try db.execute(
                sql: """
                    CREATE TABLE webhook_endpoints (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        url TEXT NOT NULL CHECK (url <> ''),
                        description TEXT NOT NULL,
                        event_types TEXT NOT NULL,
                        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
                        secret TEXT NOT NULL CHECK (secret LIKE 'whsec_%'),
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        deleted_at INTEGER
                    );
                    CREATE INDEX webhook_endpoints_by_workspace ON webhook_endpoints(workspace_id, id);
                    CREATE TABLE notification_settings (
                        workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
                        low_balance_credits INTEGER CHECK (low_balance_credits > 0),
                        runway_minutes INTEGER CHECK (runway_minutes > 0),
                        updated_at INTEGER NOT NULL
                    );
                    CREATE TABLE notification_events (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        type TEXT NOT NULL,
                        key TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        occurred_at INTEGER NOT NULL,
                        created_at INTEGER NOT NULL,
                        UNIQUE (workspace_id, key)
                    ) WITHOUT ROWID;
                    CREATE TABLE webhook_deliveries (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        event_id TEXT NOT NULL REFERENCES notification_events(id),
                        event_type TEXT NOT NULL,
                        endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
                        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                        attempts INTEGER NOT NULL CHECK (attempts >= 0),
                        next_attempt_at INTEGER,
                        last_attempt_at INTEGER,
                        last_status_code INTEGER,
                        last_error TEXT,
                        delivered_at INTEGER,
                        claim_token TEXT,
                        claimed_until INTEGER,
                        created_at INTEGER NOT NULL,
                        CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
                        CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
                    ) WITHOUT ROWID;
                    CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
                    CREATE INDEX webhook_deliveries_by_workspace ON webhook_deliveries(workspace_id, id);
                    CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, status);
                    CREATE TABLE wallet_alerts (
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        wallet_id TEXT NOT NULL REFERENCES wallets(id),
                        kind TEXT NOT NULL CHECK (kind IN ('low_balance', 'empty', 'runway_low')),
                        crossings INTEGER NOT NULL CHECK (crossings >= 0),
                        fired_at INTEGER,
                        PRIMARY KEY (wallet_id, kind)
                    ) WITHOUT ROWID;
                    """)
        }
    }
}
