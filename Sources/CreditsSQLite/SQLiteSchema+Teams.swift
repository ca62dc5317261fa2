import GRDB

extension SQLiteSchema {
    /// People (one owner per workspace), invitations, the append-only audit log, keys that belong to a person, and
    /// the ledger's `transfer` entries (issue 6). Existing workspaces get their owner (`per_` + workspace id), and
    /// their keys become the owner's.
    static func registerTeams(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("006_teams") { db in
            try db.execute(
                sql: """
                    CREATE TABLE people (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        email TEXT,
                        role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
                        wallet_id TEXT REFERENCES wallets(id),
                        status TEXT NOT NULL CHECK (status IN ('active', 'leaving', 'removed')),
                        joined_at INTEGER NOT NULL,
                        monthly_allotment INTEGER NOT NULL DEFAULT 0 CHECK (monthly_allotment >= 0),
                        removal_at INTEGER,
                        removed_at INTEGER,
                        CHECK ((role = 'owner') = (wallet_id IS NULL)),
                        CHECK (role = 'member' OR (status = 'active' AND monthly_allotment = 0)),
                        CHECK (status <> 'leaving' OR removal_at IS NOT NULL)
                    );
                    CREATE UNIQUE INDEX people_one_owner ON people(workspace_id) WHERE role = 'owner';
                    CREATE INDEX people_by_workspace ON people(workspace_id, id);
                    INSERT INTO people (id, workspace_id, email, role, wallet_id, status, joined_at)
                        SELECT 'per_' || id, id, NULL, 'owner', NULL, 'active', created_at FROM workspaces;
                    ALTER TABLE api_keys ADD COLUMN person_id TEXT REFERENCES people(id);
                    ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'owner'
                        CHECK (role IN ('owner', 'member'));
                    UPDATE api_keys SET person_id = 'per_' || workspace_id;
                    CREATE INDEX api_keys_by_person ON api_keys(person_id);

                    CREATE TABLE invitations (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        email TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE,
                        status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'cancelled')),
                        invited_by TEXT NOT NULL REFERENCES people(id),
                        created_at INTEGER NOT NULL,
                        sent_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        person_id TEXT REFERENCES people(id),
                        ended_at INTEGER,
                        CHECK (expires_at > sent_at),
                        CHECK ((status = 'accepted') = (person_id IS NOT NULL)),
                        CHECK ((status = 'pending') = (ended_at IS NULL))
                    );
                    CREATE INDEX invitations_by_workspace ON invitations(workspace_id, id);

                    CREATE TABLE audit_events (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        subject TEXT,
                        before TEXT,
                        after TEXT,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX audit_events_by_workspace ON audit_events(workspace_id, id);
                    CREATE TRIGGER audit_events_are_immutable BEFORE UPDATE ON audit_events
                        BEGIN SELECT RAISE(ABORT, 'audit events are immutable'); END;
                    CREATE TRIGGER audit_events_are_never_deleted BEFORE DELETE ON audit_events
                        BEGIN SELECT RAISE(ABORT, 'audit events are never deleted'); END;

                    DROP TRIGGER entries_are_immutable;
                    DROP TRIGGER entries_are_never_deleted;
                    CREATE TABLE entries_teams (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        wallet_id TEXT NOT NULL REFERENCES wallets(id),
                        lot_id TEXT REFERENCES lots(id),
                        hold_id TEXT REFERENCES holds(id),
                        attempt_id TEXT,
                        kind TEXT NOT NULL CHECK (kind IN
                            ('grant', 'adjustment', 'hold', 'capture', 'release', 'expiry', 'uncollected', 'transfer')),
                        amount INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO entries_teams (id, workspace_id, wallet_id, lot_id, hold_id, attempt_id, kind, amount,
                                               reason, created_at)
                        SELECT id, workspace_id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason, created_at
                        FROM entries;
                    DROP TABLE entries;
                    ALTER TABLE entries_teams RENAME TO entries;
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
