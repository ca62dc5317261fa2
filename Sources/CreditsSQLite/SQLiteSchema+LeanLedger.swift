import GRDB

extension SQLiteSchema {
    /// `008_lean_ledger`: the hot tables (holds, entries) without per-row foreign-key lookups, and holds keyed
    /// by `(workspace_id, attempt_id)`.
    ///
    /// A lifecycle (hold, then capture or release) wrote one hold and two entries, and each of those rows made
    /// SQLite look up its parents (workspace, wallet, lot, hold): twelve B-tree searches per lifecycle, on the
    /// single writer, for references the store itself creates from rows it has just read. The references are
    /// now checked where they are cheap: by `verify` (every hold's and entry's wallet, lot and hold exist, in
    /// the same workspace) instead of on every insert. Holds were a table keyed by id plus a unique index on
    /// `(workspace_id, attempt_id)`; every read and write already goes by attempt, so that pair is the key
    /// and the second B-tree is gone. Lots, wallets and everything else keep their foreign keys.
    static func registerLeanLedger(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("008_lean_ledger") { db in
            try db.execute(
                sql: """
                    CREATE TABLE holds_lean (
                        workspace_id TEXT NOT NULL,
                        attempt_id TEXT NOT NULL,
                        id TEXT NOT NULL,
                        wallet_id TEXT NOT NULL,
                        lot_id TEXT,
                        state TEXT NOT NULL CHECK (state IN ('held', 'captured', 'released', 'uncollected')),
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        ended_at INTEGER,
                        release_reason TEXT CHECK (release_reason IN ('failed', 'cancelled', 'timeout', 'released')),
                        needs_reconciliation INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (workspace_id, attempt_id),
                        CHECK ((state = 'held') = (ended_at IS NULL))
                    ) WITHOUT ROWID;
                    INSERT INTO holds_lean (workspace_id, attempt_id, id, wallet_id, lot_id, state, created_at,
                                            expires_at, ended_at, release_reason, needs_reconciliation)
                        SELECT workspace_id, attempt_id, id, wallet_id, lot_id, state, created_at, expires_at,
                               ended_at, release_reason, needs_reconciliation FROM holds;
                    DROP TABLE holds;
                    ALTER TABLE holds_lean RENAME TO holds;
                    CREATE INDEX holds_open ON holds(expires_at, id) WHERE state = 'held';

                    CREATE TABLE entries_lean (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL,
                        wallet_id TEXT NOT NULL,
                        lot_id TEXT,
                        hold_id TEXT,
                        attempt_id TEXT,
                        kind TEXT NOT NULL CHECK (kind IN
                            ('grant', 'adjustment', 'hold', 'capture', 'release', 'expiry', 'uncollected',
                             'transfer')),
                        amount INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO entries_lean (id, workspace_id, wallet_id, lot_id, hold_id, attempt_id, kind,
                                              amount, reason, created_at)
                        SELECT id, workspace_id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason,
                               created_at FROM entries;
                    DROP TABLE entries;
                    ALTER TABLE entries_lean RENAME TO entries;
                    CREATE INDEX entries_by_wallet ON entries(wallet_id, id);
                    CREATE INDEX entries_by_attempt ON entries(workspace_id, attempt_id) WHERE attempt_id IS NOT NULL;
                    CREATE TRIGGER entries_are_immutable BEFORE UPDATE ON entries
                        BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
                    CREATE TRIGGER entries_are_never_deleted BEFORE DELETE ON entries
                        BEGIN SELECT RAISE(ABORT, 'ledger entries are never deleted'); END;
                    """)
        }
    }
}
