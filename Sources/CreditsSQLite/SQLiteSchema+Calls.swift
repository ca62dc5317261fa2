import GRDB

extension SQLiteSchema {
    /// Call attempts, their events, the usage rollups and the Do Not Call list (issue 4).
    ///
    /// `call_attempts` is keyed by (workspace, attempt id), the same key as the attempt's hold. The rollups
    /// are what the usage breakdown reads: a row per (workspace, local day, wallet, campaign, outcome)
    /// gets its counts added in the transaction that ends an attempt, so a report reads a few rows per day
    /// instead of every attempt. `campaign_id` is '' for attempts outside campaigns (NULLs would not be
    /// equal in the key).
    static func registerCalls(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("002_calls") { db in
            try db.execute(
                sql: """
                    CREATE TABLE call_attempts (
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        id TEXT NOT NULL,
                        wallet_id TEXT NOT NULL REFERENCES wallets(id),
                        campaign_id TEXT,
                        recipient_id TEXT,
                        number_position INTEGER CHECK (number_position IS NULL OR number_position >= 1),
                        phone_number TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN
                            ('waiting', 'calling', 'answered', 'missed', 'failed', 'cancelled', 'dnc')),
                        outcome TEXT CHECK (outcome IN ('answered_full_conversation', 'answered_hung_up_immediately',
                            'missed_voicemail_left', 'missed_no_voicemail', 'failed', 'cancelled', 'dnc')),
                        charge TEXT NOT NULL
                            CHECK (charge IN ('none', 'held', 'captured', 'released', 'released_by_timeout')),
                        connected_party TEXT CHECK (connected_party IN ('person', 'machine', 'unknown')),
                        needs_reconciliation INTEGER NOT NULL CHECK (needs_reconciliation IN (0, 1)),
                        credits_charged INTEGER NOT NULL CHECK (credits_charged IN (0, 1)),
                        uncollected INTEGER NOT NULL CHECK (uncollected IN (0, 1)),
                        reason TEXT,
                        created_at INTEGER NOT NULL,
                        dialed_at INTEGER,
                        connected_at INTEGER,
                        ended_at INTEGER,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (workspace_id, id),
                        CHECK ((status IN ('waiting', 'calling')) = (outcome IS NULL)),
                        CHECK ((outcome IS NULL) = (ended_at IS NULL)),
                        CHECK (status <> 'waiting' OR charge = 'none')
                    ) WITHOUT ROWID;
                    CREATE INDEX call_attempts_by_campaign ON call_attempts(workspace_id, campaign_id, status, id)
                        WHERE campaign_id IS NOT NULL;
                    CREATE INDEX call_attempts_open ON call_attempts(status, workspace_id, id)
                        WHERE status IN ('waiting', 'calling');
                    CREATE INDEX call_attempts_to_reconcile ON call_attempts(workspace_id, id)
                        WHERE needs_reconciliation = 1;
                    CREATE TABLE attempt_events (
                        workspace_id TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        attempt_id TEXT NOT NULL,
                        event TEXT NOT NULL,
                        source TEXT NOT NULL,
                        disposition TEXT NOT NULL CHECK (disposition IN ('applied', 'duplicate', 'after_final')),
                        ledger_action TEXT NOT NULL CHECK (ledger_action IN ('none', 'hold', 'capture', 'release')),
                        received_at INTEGER NOT NULL,
                        UNIQUE (workspace_id, event_id),
                        FOREIGN KEY (workspace_id, attempt_id) REFERENCES call_attempts(workspace_id, id)
                    );
                    CREATE INDEX attempt_events_by_attempt ON attempt_events(workspace_id, attempt_id);
                    CREATE TABLE usage_rollup (
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        day INTEGER NOT NULL,
                        wallet_id TEXT NOT NULL,
                        campaign_id TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        attempts INTEGER NOT NULL CHECK (attempts >= 0),
                        credits INTEGER NOT NULL CHECK (credits >= 0),
                        refunds INTEGER NOT NULL CHECK (refunds >= 0),
                        uncollected INTEGER NOT NULL CHECK (uncollected >= 0),
                        PRIMARY KEY (workspace_id, day, wallet_id, campaign_id, outcome)
                    ) WITHOUT ROWID;
                    CREATE TABLE usage_positions (
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        day INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        outcome TEXT NOT NULL,
                        attempts INTEGER NOT NULL CHECK (attempts >= 0),
                        PRIMARY KEY (workspace_id, day, position, outcome)
                    ) WITHOUT ROWID;
                    CREATE TABLE dnc_numbers (
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        phone_number TEXT NOT NULL,
                        source TEXT NOT NULL,
                        added_at INTEGER NOT NULL,
                        PRIMARY KEY (workspace_id, phone_number)
                    ) WITHOUT ROWID;
                    """)
        }
    }
}
