import PostgresNIO

/// One named schema change. Migrations run in order, each once, and are recorded in `schema_migrations`.
/// Never edit a migration that has shipped: add a new one.
struct Migration: Sendable {
    var name: String
    /// Statements run one by one (the extended protocol takes one statement per query).
    var statements: [String]
}

extension PostgresStore {
    /// The advisory lock every migrating process takes, so two processes never migrate at once.
    static let migrationLockKey: Int64 = 0x4343_4D49_4752  // "CCMIGR"

    /// Creates or upgrades the schema in one transaction under `pg_advisory_xact_lock`: a second process
    /// waits, then finds every migration recorded and does nothing.
    public func migrate() async throws {
        try await transaction("migrate") { connection in
            try await execute("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", on: connection)
            try await execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    name text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, on: connection)
            let applied = try await rows("SELECT name FROM schema_migrations", on: connection)
                .map { try $0.decode(String.self) }
            for migration in Self.migrations where !applied.contains(migration.name) {
                logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
                for statement in migration.statements {
                    try await execute(PostgresQuery(unsafeSQL: statement), on: connection)
                }
                try await execute("INSERT INTO schema_migrations (name) VALUES (\(migration.name))", on: connection)
            }
        }
    }

    /// Every table carries `workspace_id` first in its primary and unique keys, so the schema can be
    /// distributed by workspace (see docs/postgres.md). Identifiers use the "C" collation so that ordering by
    /// id is byte order, as in Swift. Times are bigint milliseconds (UTC); credits are bigint.
    static let migrations: [Migration] = [
        Migration(
            name: "0001_ledger_schema",
            statements: [
                """
                CREATE TABLE workspaces (
                    workspace_id text COLLATE "C" NOT NULL,
                    name text NOT NULL CHECK (name <> ''),
                    time_zone text NOT NULL CHECK (time_zone <> ''),
                    created_at_ms bigint NOT NULL,
                    PRIMARY KEY (workspace_id)
                )
                """,
                """
                CREATE TABLE wallets (
                    workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                    id text COLLATE "C" NOT NULL,
                    kind text NOT NULL CHECK (kind IN ('pool', 'member')),
                    member_id text,
                    created_at_ms bigint NOT NULL,
                    PRIMARY KEY (workspace_id, id),
                    CHECK (kind = 'member' OR member_id IS NULL)
                )
                """,
                "CREATE UNIQUE INDEX wallets_one_pool ON wallets (workspace_id) WHERE kind = 'pool'",
                """
                CREATE TABLE lots (
                    workspace_id text COLLATE "C" NOT NULL,
                    id text COLLATE "C" NOT NULL,
                    wallet_id text COLLATE "C" NOT NULL,
                    source text NOT NULL CHECK (source IN ('plan_allotment', 'purchase', 'transfer', 'adjustment')),
                    amount bigint NOT NULL CHECK (amount > 0),
                    remaining bigint NOT NULL CHECK (remaining >= 0),
                    held bigint NOT NULL CHECK (held >= 0),
                    effective_at_ms bigint NOT NULL,
                    expires_at_ms bigint,
                    created_at_ms bigint NOT NULL,
                    reference text,
                    PRIMARY KEY (workspace_id, id),
                    FOREIGN KEY (workspace_id, wallet_id) REFERENCES wallets (workspace_id, id),
                    CHECK (remaining + held <= amount),
                    CHECK (expires_at_ms IS NULL OR expires_at_ms >= effective_at_ms)
                )
                """,
                "CREATE INDEX lots_by_wallet ON lots (workspace_id, wallet_id, id) WHERE remaining > 0 OR held > 0",
                """
                CREATE INDEX lots_due_to_expire ON lots (expires_at_ms)
                    WHERE remaining > 0 AND expires_at_ms IS NOT NULL
                """,
                """
                CREATE TABLE holds (
                    workspace_id text COLLATE "C" NOT NULL,
                    id text COLLATE "C" NOT NULL,
                    wallet_id text COLLATE "C" NOT NULL,
                    lot_id text COLLATE "C",
                    attempt_id text COLLATE "C" NOT NULL,
                    state text NOT NULL CHECK (state IN ('held', 'captured', 'released', 'uncollected')),
                    created_at_ms bigint NOT NULL,
                    expires_at_ms bigint NOT NULL,
                    ended_at_ms bigint,
                    release_reason text CHECK (release_reason IN ('failed', 'cancelled', 'timeout', 'released')),
                    needs_reconciliation boolean NOT NULL,
                    PRIMARY KEY (workspace_id, id),
                    CONSTRAINT holds_attempt_key UNIQUE (workspace_id, attempt_id),
                    FOREIGN KEY (workspace_id, wallet_id) REFERENCES wallets (workspace_id, id),
                    FOREIGN KEY (workspace_id, lot_id) REFERENCES lots (workspace_id, id),
                    CHECK ((state = 'held') = (ended_at_ms IS NULL)),
                    CHECK (state <> 'held' OR (lot_id IS NOT NULL AND release_reason IS NULL)),
                    CHECK (state <> 'released' OR release_reason IS NOT NULL)
                )
                """,
                "CREATE INDEX holds_due ON holds (expires_at_ms) WHERE state = 'held'",
                """
                CREATE TABLE entries (
                    workspace_id text COLLATE "C" NOT NULL,
                    id text COLLATE "C" NOT NULL,
                    wallet_id text COLLATE "C" NOT NULL,
                    lot_id text COLLATE "C",
                    hold_id text COLLATE "C",
                    attempt_id text COLLATE "C",
                    kind text NOT NULL
                        CHECK (kind IN ('grant', 'adjustment', 'hold', 'capture', 'release', 'expiry', 'uncollected')),
                    amount bigint NOT NULL CHECK (amount > 0 OR (kind = 'adjustment' AND amount < 0)),
                    reason text NOT NULL,
                    created_at_ms bigint NOT NULL,
                    PRIMARY KEY (workspace_id, id),
                    FOREIGN KEY (workspace_id, wallet_id) REFERENCES wallets (workspace_id, id),
                    FOREIGN KEY (workspace_id, lot_id) REFERENCES lots (workspace_id, id),
                    FOREIGN KEY (workspace_id, hold_id) REFERENCES holds (workspace_id, id),
                    CHECK (lot_id IS NOT NULL OR kind = 'uncollected')
                )
                """,
                "CREATE INDEX entries_by_wallet ON entries (workspace_id, wallet_id, id)",
                """
                CREATE INDEX entries_by_attempt ON entries (workspace_id, attempt_id, id)
                    WHERE attempt_id IS NOT NULL
                """,
                """
                CREATE TABLE api_keys (
                    workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                    id text COLLATE "C" NOT NULL,
                    name text NOT NULL,
                    prefix text NOT NULL,
                    hash text NOT NULL,
                    created_at_ms bigint NOT NULL,
                    revoked_at_ms bigint,
                    PRIMARY KEY (workspace_id, id),
                    CONSTRAINT api_keys_hash_key UNIQUE (hash)
                )
                """,
                """
                CREATE TABLE idempotency_keys (
                    workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                    key text COLLATE "C" NOT NULL,
                    fingerprint text NOT NULL,
                    result bytea NOT NULL,
                    created_at_ms bigint NOT NULL,
                    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (workspace_id, key)
                )
                """,
            ]),
        Migration(
            name: "0002_entries_append_only",
            statements: [
                """
                CREATE FUNCTION entries_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'ledger entries are immutable' USING ERRCODE = 'restrict_violation';
                END
                $$
                """,
                """
                CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
                    FOR EACH ROW EXECUTE FUNCTION entries_are_append_only()
                """,
            ]),
        callsMigration,
        campaignsMigration,
        billingMigration,
        notificationsMigration,
        teamsMigration,
        portalMigration,
        leanLedgerMigration,
    ]
}
