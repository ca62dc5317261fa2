import PostgresNIO

extension PostgresStore {
    /// `0006_teams`: people (one owner per workspace), invitations, the append-only audit log, keys that belong to a
    /// person, and the ledger's `transfer` entries. Existing workspaces get their owner (`per_` + workspace id) and
    /// their keys become the owner's, as in SQLite's `006_teams`.
    static let teamsMigration = Migration(
        name: "0006_teams",
        statements: [
            """
            CREATE TABLE people (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                id text COLLATE "C" NOT NULL,
                email text,
                role text NOT NULL CHECK (role IN ('owner', 'member')),
                wallet_id text COLLATE "C",
                status text NOT NULL CHECK (status IN ('active', 'leaving', 'removed')),
                joined_at_ms bigint NOT NULL,
                monthly_allotment bigint NOT NULL DEFAULT 0 CHECK (monthly_allotment >= 0),
                removal_at_ms bigint,
                removed_at_ms bigint,
                PRIMARY KEY (workspace_id, id),
                FOREIGN KEY (workspace_id, wallet_id) REFERENCES wallets (workspace_id, id),
                CHECK ((role = 'owner') = (wallet_id IS NULL)),
                CHECK (role = 'member' OR (status = 'active' AND monthly_allotment = 0)),
                CHECK (status <> 'leaving' OR removal_at_ms IS NOT NULL)
            )
            """,
            "CREATE UNIQUE INDEX people_one_owner ON people (workspace_id) WHERE role = 'owner'",
            """
            INSERT INTO people (workspace_id, id, email, role, wallet_id, status, joined_at_ms)
            SELECT workspace_id, 'per_' || workspace_id, NULL, 'owner', NULL, 'active', created_at_ms FROM workspaces
            """,
            "ALTER TABLE api_keys ADD COLUMN person_id text COLLATE \"C\"",
            "ALTER TABLE api_keys ADD COLUMN role text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'member'))",
            "UPDATE api_keys SET person_id = 'per_' || workspace_id",
            "ALTER TABLE api_keys ALTER COLUMN person_id SET NOT NULL",
            """
            ALTER TABLE api_keys ADD CONSTRAINT api_keys_person_fkey
                FOREIGN KEY (workspace_id, person_id) REFERENCES people (workspace_id, id)
            """,
            "CREATE INDEX api_keys_by_person ON api_keys (workspace_id, person_id)",
            """
            CREATE TABLE invitations (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                id text COLLATE "C" NOT NULL,
                email text NOT NULL,
                token_hash text NOT NULL,
                status text NOT NULL CHECK (status IN ('pending', 'accepted', 'cancelled')),
                invited_by text COLLATE "C" NOT NULL,
                created_at_ms bigint NOT NULL,
                sent_at_ms bigint NOT NULL,
                expires_at_ms bigint NOT NULL,
                person_id text COLLATE "C",
                ended_at_ms bigint,
                PRIMARY KEY (workspace_id, id),
                CONSTRAINT invitations_token_key UNIQUE (token_hash),
                FOREIGN KEY (workspace_id, invited_by) REFERENCES people (workspace_id, id),
                FOREIGN KEY (workspace_id, person_id) REFERENCES people (workspace_id, id),
                CHECK (expires_at_ms > sent_at_ms),
                CHECK ((status = 'accepted') = (person_id IS NOT NULL)),
                CHECK ((status = 'pending') = (ended_at_ms IS NULL))
            )
            """,
            """
            CREATE TABLE audit_events (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                id text COLLATE "C" NOT NULL,
                actor text NOT NULL,
                action text NOT NULL,
                subject text,
                before text,
                after text,
                created_at_ms bigint NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            """
            CREATE FUNCTION audit_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit events are immutable' USING ERRCODE = 'restrict_violation';
            END
            $$
            """,
            """
            CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
                FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only()
            """,
            // The kind and amount CHECKs of 0001 were created unnamed (`entries_kind_check`, `entries_check`): drop
            // them by what they say, then add the named ones that admit `transfer`.
            """
            DO $$
            DECLARE name text;
            BEGIN
                FOR name IN SELECT conname FROM pg_constraint
                    WHERE conrelid = 'entries'::regclass AND contype = 'c'
                    AND (conname = 'entries_kind_check' OR pg_get_constraintdef(oid) LIKE '%amount%')
                LOOP
                    EXECUTE format('ALTER TABLE entries DROP CONSTRAINT %I', name);
                END LOOP;
            END
            $$
            """,
            """
            ALTER TABLE entries ADD CONSTRAINT entries_kind_check CHECK (kind IN
                ('grant', 'adjustment', 'hold', 'capture', 'release', 'expiry', 'uncollected', 'transfer'))
            """,
            """
            ALTER TABLE entries ADD CONSTRAINT entries_amount_check
                CHECK (amount > 0 OR (kind IN ('adjustment', 'transfer') AND amount < 0))
            """,
        ])
}
