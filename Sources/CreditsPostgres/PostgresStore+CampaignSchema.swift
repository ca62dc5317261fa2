extension PostgresStore {
    /// Campaigns and their recipients. Counters live on the campaign row, which every change locks
    /// (`FOR NO KEY UPDATE`), so several service instances keep them in step with the recipients' states.
    static let campaignsMigration = Migration(
        name: "0003_campaigns",
        statements: [
            """
            CREATE TABLE campaigns (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                id text COLLATE "C" NOT NULL,
                wallet_id text COLLATE "C" NOT NULL,
                name text NOT NULL CHECK (name <> ''),
                status text NOT NULL
                    CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'cancelled', 'completed')),
                pause_reason text CHECK (pause_reason IN ('out_of_credits', 'credit_cap', 'user')),
                credit_cap bigint CHECK (credit_cap IS NULL OR credit_cap > 0),
                active_days integer NOT NULL CHECK (active_days BETWEEN 1 AND 127),
                calling_start_minutes integer NOT NULL CHECK (calling_start_minutes BETWEEN 0 AND 1439),
                calling_end_minutes integer NOT NULL CHECK (calling_end_minutes BETWEEN 1 AND 1440),
                daily_attempt_limit integer CHECK (daily_attempt_limit IS NULL OR daily_attempt_limit > 0),
                lines integer NOT NULL CHECK (lines > 0),
                average_call_seconds integer NOT NULL CHECK (average_call_seconds > 0),
                launch_at_ms bigint,
                shortfall_acknowledged boolean NOT NULL,
                recipients integer NOT NULL,
                active integer NOT NULL,
                done integer NOT NULL,
                answered integer NOT NULL,
                attempts_dialed bigint NOT NULL,
                credits_spent bigint NOT NULL CHECK (credits_spent >= 0),
                dial_day text,
                dialed_on_day integer NOT NULL,
                created_at_ms bigint NOT NULL,
                updated_at_ms bigint NOT NULL,
                started_at_ms bigint,
                ended_at_ms bigint,
                PRIMARY KEY (workspace_id, id),
                FOREIGN KEY (workspace_id, wallet_id) REFERENCES wallets (workspace_id, id),
                CHECK ((status = 'paused') = (pause_reason IS NOT NULL)),
                CHECK (calling_start_minutes < calling_end_minutes),
                CHECK (active >= 0 AND done >= 0 AND answered <= done AND active + done <= recipients)
            )
            """,
            """
            CREATE INDEX campaigns_due ON campaigns (id)
                WHERE status IN ('running', 'scheduled', 'paused') OR active > 0
            """,
            """
            CREATE TABLE campaign_recipients (
                workspace_id text COLLATE "C" NOT NULL,
                campaign_id text COLLATE "C" NOT NULL,
                idx integer NOT NULL CHECK (idx > 0),
                row integer,
                first_name text,
                last_name text,
                name text,
                numbers text NOT NULL CHECK (numbers <> ''),
                state text NOT NULL CHECK (state IN ('pending', 'active', 'done')),
                position integer NOT NULL CHECK (position > 0),
                outcome text CHECK (outcome IN ('answered', 'exhausted', 'cancelled')),
                single_call boolean NOT NULL,
                PRIMARY KEY (workspace_id, campaign_id, idx),
                FOREIGN KEY (workspace_id, campaign_id) REFERENCES campaigns (workspace_id, id),
                CHECK ((state = 'done') = (outcome IS NOT NULL))
            )
            """,
            """
            CREATE INDEX campaign_recipients_pending ON campaign_recipients (workspace_id, campaign_id, single_call DESC, idx)
                WHERE state = 'pending'
            """,
            """
            CREATE INDEX campaign_recipients_active ON campaign_recipients (workspace_id, campaign_id, idx)
                WHERE state = 'active'
            """,
        ])
}
