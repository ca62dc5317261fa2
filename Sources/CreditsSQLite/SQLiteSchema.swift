import GRDB

/// The embedded store's schema as named migrations. The schema guards the invariants too:
/// NOT NULL, CHECKs on balances, UNIQUE idempotency keys and attempt ids, immutable entries.
/// Every table carries workspace_id, like the PostgreSQL schema, so data can move between them.
enum SQLiteSchema {
    /// Lots, holds and entries are WITHOUT ROWID tables keyed by their time-ordered id: one B-tree
    /// per table instead of a rowid table plus a separate index on the text id (fewer pages per write).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001_ledger") { db in
            try db.execute(
                sql: """
                    CREATE TABLE workspaces (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        time_zone TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE wallets (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        kind TEXT NOT NULL CHECK (kind IN ('pool', 'member')),
                        member_id TEXT,
                        created_at INTEGER NOT NULL,
                        CHECK ((kind = 'pool') = (member_id IS NULL))
                    );
                    CREATE UNIQUE INDEX wallets_one_pool ON wallets(workspace_id) WHERE kind = 'pool';
                    CREATE TABLE lots (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        wallet_id TEXT NOT NULL REFERENCES wallets(id),
                        source TEXT NOT NULL
                            CHECK (source IN ('plan_allotment', 'purchase', 'transfer', 'adjustment')),
                        amount INTEGER NOT NULL CHECK (amount > 0),
                        remaining INTEGER NOT NULL CHECK (remaining >= 0),
                        held INTEGER NOT NULL CHECK (held >= 0),
                        effective_at INTEGER NOT NULL,
                        expires_at INTEGER,
                        created_at INTEGER NOT NULL,
                        reference TEXT,
                        CHECK (remaining + held <= amount),
                        CHECK (expires_at IS NULL OR expires_at > effective_at)
                    ) WITHOUT ROWID;
                    CREATE INDEX lots_spendable ON lots(wallet_id) WHERE remaining > 0;
                    CREATE INDEX lots_expiring ON lots(expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;
                    CREATE TABLE holds (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        wallet_id TEXT NOT NULL REFERENCES wallets(id),
                        lot_id TEXT REFERENCES lots(id),
                        attempt_id TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('held', 'captured', 'released', 'uncollected')),
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        ended_at INTEGER,
                        release_reason TEXT CHECK (release_reason IN ('failed', 'cancelled', 'timeout', 'released')),
                        needs_reconciliation INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (workspace_id, attempt_id),
                        CHECK ((state = 'held') = (ended_at IS NULL))
                    ) WITHOUT ROWID;
                    CREATE INDEX holds_open ON holds(expires_at) WHERE state = 'held';
                    CREATE TABLE entries (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        wallet_id TEXT NOT NULL REFERENCES wallets(id),
                        lot_id TEXT REFERENCES lots(id),
                        hold_id TEXT REFERENCES holds(id),
                        attempt_id TEXT,
                        kind TEXT NOT NULL CHECK (kind IN
                            ('grant', 'adjustment', 'hold', 'capture', 'release', 'expiry', 'uncollected')),
                        amount INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX entries_by_wallet ON entries(wallet_id, id);
                    CREATE INDEX entries_by_attempt ON entries(workspace_id, attempt_id) WHERE attempt_id IS NOT NULL;
                    CREATE TRIGGER entries_are_immutable BEFORE UPDATE ON entries
                        BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
                    CREATE TRIGGER entries_are_never_deleted BEFORE DELETE ON entries
                        BEGIN SELECT RAISE(ABORT, 'ledger entries are never deleted'); END;
                    CREATE TABLE idempotency_keys (
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        key TEXT NOT NULL,
                        fingerprint TEXT NOT NULL,
                        result BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (workspace_id, key)
                    );
                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        name TEXT NOT NULL,
                        prefix TEXT NOT NULL,
                        hash TEXT NOT NULL UNIQUE,
                        created_at INTEGER NOT NULL,
                        revoked_at INTEGER
                    );
                    CREATE INDEX api_keys_by_workspace ON api_keys(workspace_id);
                    """)
        }
        SQLiteSchema.registerCalls(&migrator)
        registerCampaigns(&migrator)
        SQLiteBillingSchema.register(in: &migrator)
        registerNotifications(&migrator)
        registerTeams(&migrator)
        registerPortal(&migrator)
        registerLeanLedger(&migrator)
        registerPlainChecks(&migrator)
        return migrator
    }
}
