extension PostgresStore {
    /// Call attempts, their events, the usage rollups and the Do Not Call list (issue 4). Keys start with
    /// `workspace_id`, as everywhere. The rollups hold one row per (workspace, local day, wallet, campaign,
    /// outcome) and per (workspace, local day, number position, outcome), added to in the transaction that
    /// ends an attempt; `campaign_id` is '' outside campaigns so that the key has no NULL.
    static let callsMigration = Migration(
        name: "0002_calls",
        statements: [
            """
            CREATE TABLE call_attempts (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                id text COLLATE "C" NOT NULL,
                wallet_id text COLLATE "C" NOT NULL,
                campaign_id text COLLATE "C",
                recipient_id text COLLATE "C",
                number_position integer CHECK (number_position IS NULL OR number_position >= 1),
                phone_number text NOT NULL,
                status text NOT NULL
                    CHECK (status IN ('waiting', 'calling', 'answered', 'missed', 'failed', 'cancelled', 'dnc')),
                outcome text CHECK (outcome IN ('answered_full_conversation', 'answered_hung_up_immediately',
                    'missed_voicemail_left', 'missed_no_voicemail', 'failed', 'cancelled', 'dnc')),
                charge text NOT NULL CHECK (charge IN ('none', 'held', 'captured', 'released', 'released_by_timeout')),
                connected_party text CHECK (connected_party IN ('person', 'machine', 'unknown')),
                needs_reconciliation boolean NOT NULL,
                credits_charged bigint NOT NULL CHECK (credits_charged IN (0, 1)),
                uncollected boolean NOT NULL,
                reason text,
                created_at_ms bigint NOT NULL,
                dialed_at_ms bigint,
                connected_at_ms bigint,
                ended_at_ms bigint,
                updated_at_ms bigint NOT NULL,
                CONSTRAINT call_attempts_pkey PRIMARY KEY (workspace_id, id),
                FOREIGN KEY (workspace_id, wallet_id) REFERENCES wallets (workspace_id, id),
                CHECK ((status IN ('waiting', 'calling')) = (outcome IS NULL)),
                CHECK ((outcome IS NULL) = (ended_at_ms IS NULL)),
                CHECK (status <> 'waiting' OR charge = 'none')
            )
            """,
            """
            CREATE INDEX call_attempts_by_campaign ON call_attempts (workspace_id, campaign_id, status, id)
                WHERE campaign_id IS NOT NULL
            """,
            """
            CREATE INDEX call_attempts_open ON call_attempts (status, workspace_id, id)
                WHERE status IN ('waiting', 'calling')
            """,
            """
            CREATE INDEX call_attempts_to_reconcile ON call_attempts (workspace_id, id)
                WHERE needs_reconciliation
            """,
            """
            CREATE TABLE attempt_events (
                workspace_id text COLLATE "C" NOT NULL,
                event_id text COLLATE "C" NOT NULL,
                attempt_id text COLLATE "C" NOT NULL,
                event text NOT NULL,
                source text NOT NULL,
                disposition text NOT NULL CHECK (disposition IN ('applied', 'duplicate', 'after_final')),
                ledger_action text NOT NULL CHECK (ledger_action IN ('none', 'hold', 'capture', 'release')),
                received_at_ms bigint NOT NULL,
                seq bigint GENERATED ALWAYS AS IDENTITY,
                CONSTRAINT attempt_events_pkey PRIMARY KEY (workspace_id, event_id),
                FOREIGN KEY (workspace_id, attempt_id) REFERENCES call_attempts (workspace_id, id)
            )
            """,
            "CREATE INDEX attempt_events_by_attempt ON attempt_events (workspace_id, attempt_id, seq)",
            """
            CREATE TABLE usage_rollup (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                day integer NOT NULL,
                wallet_id text COLLATE "C" NOT NULL,
                campaign_id text COLLATE "C" NOT NULL,
                outcome text NOT NULL,
                attempts bigint NOT NULL CHECK (attempts >= 0),
                credits bigint NOT NULL CHECK (credits >= 0),
                refunds bigint NOT NULL CHECK (refunds >= 0),
                uncollected bigint NOT NULL CHECK (uncollected >= 0),
                PRIMARY KEY (workspace_id, day, wallet_id, campaign_id, outcome)
            )
            """,
            """
            CREATE TABLE usage_positions (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                day integer NOT NULL,
                position integer NOT NULL,
                outcome text NOT NULL,
                attempts bigint NOT NULL CHECK (attempts >= 0),
                PRIMARY KEY (workspace_id, day, position, outcome)
            )
            """,
            """
            CREATE TABLE dnc_numbers (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                phone_number text COLLATE "C" NOT NULL,
                source text NOT NULL,
                added_at_ms bigint NOT NULL,
                PRIMARY KEY (workspace_id, phone_number)
            )
            """,
        ])
}
