import PostgresNIO

extension PostgresStore {
    /// Migration 0004: plans, subscriptions, the credit package catalogue and purchases (issue 5).
    ///
    /// `plans` and `credit_packages` are the operator's catalogues, shared by every workspace: they are the schema's
    /// only tables without `workspace_id` (in a database distributed by workspace they are reference tables, copied
    /// to every node). `purchases_by_payment` finds the purchase a provider's refund names, before its workspace is
    /// known, like `api_keys_hash_key` finds a key (docs/postgres.md).
    static let billingMigration = Migration(
        name: "0004_billing",
        statements: [
            """
            CREATE TABLE plans (
                plan_id text COLLATE "C" NOT NULL,
                name text NOT NULL CHECK (name <> ''),
                monthly_allotment bigint NOT NULL CHECK (monthly_allotment >= 0),
                price_minor bigint NOT NULL CHECK (price_minor >= 0),
                currency text NOT NULL CHECK (length(currency) = 3),
                PRIMARY KEY (plan_id)
            )
            """,
            """
            CREATE TABLE subscriptions (
                workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (workspace_id),
                plan_id text COLLATE "C" NOT NULL REFERENCES plans (plan_id),
                status text NOT NULL CHECK (status IN ('active', 'past_due', 'cancelled')),
                started_at_ms bigint NOT NULL,
                anchor_ms bigint NOT NULL,
                time_zone text NOT NULL,
                pending_plan_id text COLLATE "C" REFERENCES plans (plan_id),
                pending_plan_cycle integer CHECK (pending_plan_cycle >= 1),
                last_reset_cycle integer CHECK (last_reset_cycle >= 0),
                next_reset_at_ms bigint NOT NULL,
                PRIMARY KEY (workspace_id),
                CHECK ((pending_plan_id IS NULL) = (pending_plan_cycle IS NULL)),
                CHECK (anchor_ms >= started_at_ms)
            )
            """,
            "CREATE INDEX subscriptions_due ON subscriptions (next_reset_at_ms)",
            """
            CREATE TABLE credit_packages (
                package_id text COLLATE "C" NOT NULL,
                name text NOT NULL CHECK (name <> ''),
                credits bigint NOT NULL CHECK (credits > 0),
                price_minor bigint NOT NULL CHECK (price_minor >= 0),
                currency text NOT NULL CHECK (length(currency) = 3),
                validity_days integer CHECK (validity_days > 0),
                active boolean NOT NULL,
                PRIMARY KEY (package_id)
            )
            """,
            """
            CREATE TABLE purchases (
                workspace_id text COLLATE "C" NOT NULL,
                id text COLLATE "C" NOT NULL,
                wallet_id text COLLATE "C" NOT NULL,
                package_id text COLLATE "C" NOT NULL REFERENCES credit_packages (package_id),
                credits bigint NOT NULL CHECK (credits > 0),
                price_minor bigint NOT NULL CHECK (price_minor >= 0),
                currency text NOT NULL,
                validity_days integer,
                provider text NOT NULL,
                idempotency_key text COLLATE "C" NOT NULL,
                checkout_id text,
                checkout_url text,
                payment_reference text,
                status text NOT NULL CHECK (status IN ('pending', 'completed', 'partially_refunded', 'refunded')),
                created_at_ms bigint NOT NULL,
                completed_at_ms bigint,
                lot_id text COLLATE "C",
                expires_at_ms bigint,
                refunded_minor bigint NOT NULL CHECK (refunded_minor >= 0),
                credits_taken_back bigint NOT NULL CHECK (credits_taken_back >= 0),
                credits_already_spent bigint NOT NULL CHECK (credits_already_spent >= 0),
                refunded_at_ms bigint,
                PRIMARY KEY (workspace_id, id),
                CONSTRAINT purchases_idempotency_key UNIQUE (workspace_id, idempotency_key),
                FOREIGN KEY (workspace_id, wallet_id) REFERENCES wallets (workspace_id, id),
                FOREIGN KEY (workspace_id, lot_id) REFERENCES lots (workspace_id, id),
                CHECK ((status = 'pending') = (lot_id IS NULL)),
                CHECK (credits_taken_back + credits_already_spent <= credits)
            )
            """,
            """
            CREATE UNIQUE INDEX purchases_by_payment ON purchases (provider, payment_reference)
                WHERE payment_reference IS NOT NULL
            """,
            """
            CREATE INDEX lots_by_reference ON lots (workspace_id, wallet_id, reference COLLATE "C")
                WHERE reference IS NOT NULL
            """,
        ])
}
