import GRDB

extension SQLiteSchema {
    /// Campaigns and their recipients. Counters live on the campaign row, which every change locks (SQLite:
    /// the one writer), so they always agree with the recipients' states.
    static func registerCampaigns(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("003_campaigns") { db in
            try db.execute(
                sql: """
                    CREATE TABLE campaigns (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        wallet_id TEXT NOT NULL REFERENCES wallets(id),
                        name TEXT NOT NULL CHECK (name <> ''),
                        status TEXT NOT NULL
                            CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'cancelled', 'completed')),
                        pause_reason TEXT CHECK (pause_reason IN ('out_of_credits', 'credit_cap', 'user')),
                        credit_cap INTEGER CHECK (credit_cap IS NULL OR credit_cap > 0),
                        active_days INTEGER NOT NULL CHECK (active_days BETWEEN 1 AND 127),
                        calling_start_minutes INTEGER NOT NULL CHECK (calling_start_minutes BETWEEN 0 AND 1439),
                        calling_end_minutes INTEGER NOT NULL CHECK (calling_end_minutes BETWEEN 1 AND 1440),
                        daily_attempt_limit INTEGER CHECK (daily_attempt_limit IS NULL OR daily_attempt_limit > 0),
                        lines INTEGER NOT NULL CHECK (lines > 0),
                        average_call_seconds INTEGER NOT NULL CHECK (average_call_seconds > 0),
                        launch_at INTEGER,
                        shortfall_acknowledged INTEGER NOT NULL,
                        recipients INTEGER NOT NULL,
                        active INTEGER NOT NULL,
                        done INTEGER NOT NULL,
                        answered INTEGER NOT NULL,
                        attempts_dialed INTEGER NOT NULL,
                        credits_spent INTEGER NOT NULL CHECK (credits_spent >= 0),
                        dial_day TEXT,
                        dialed_on_day INTEGER NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        started_at INTEGER,
                        ended_at INTEGER,
                        CHECK ((status = 'paused') = (pause_reason IS NOT NULL)),
                        CHECK (calling_start_minutes < calling_end_minutes),
                        CHECK (active >= 0 AND done >= 0 AND answered <= done AND active + done <= recipients)
                    );
                    CREATE INDEX campaigns_by_workspace ON campaigns(workspace_id, id);
                    CREATE INDEX campaigns_due ON campaigns(id)
                        WHERE status IN ('running', 'scheduled', 'paused') OR active > 0;
                    CREATE TABLE campaign_recipients (
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        campaign_id TEXT NOT NULL REFERENCES campaigns(id),
                        idx INTEGER NOT NULL CHECK (idx > 0),
                        row INTEGER,
                        first_name TEXT,
                        last_name TEXT,
                        name TEXT,
                        numbers TEXT NOT NULL CHECK (numbers <> ''),
                        state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'done')),
                        position INTEGER NOT NULL CHECK (position > 0),
                        outcome TEXT CHECK (outcome IN ('answered', 'exhausted', 'cancelled')),
                        single_call INTEGER NOT NULL,
                        PRIMARY KEY (campaign_id, idx),
                        CHECK ((state = 'done') = (outcome IS NOT NULL))
                    ) WITHOUT ROWID;
                    CREATE INDEX campaign_recipients_pending
                        ON campaign_recipients(campaign_id, single_call DESC, idx) WHERE state = 'pending';
                    CREATE INDEX campaign_recipients_active
                        ON campaign_recipients(campaign_id, idx) WHERE state = 'active';
                    """)
        }
    }
}
