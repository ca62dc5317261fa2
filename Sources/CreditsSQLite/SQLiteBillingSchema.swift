import GRDB

/// Migration 004: plans, subscriptions, the credit package catalogue and purchases (issue 5).
enum SQLiteBillingSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("004_billing") { db in
            try db.execute(
                sql: """
                    CREATE TABLE plans (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL CHECK (name <> ''),
                        monthly_allotment INTEGER NOT NULL CHECK (monthly_allotment >= 0),
                        price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
                        currency TEXT NOT NULL CHECK (length(currency) = 3)
                    );
                    CREATE TABLE subscriptions (
                        workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
                        plan_id TEXT NOT NULL REFERENCES plans(id),
                        status TEXT NOT NULL CHECK (status IN ('active', 'past_due', 'cancelled')),
                        started_at INTEGER NOT NULL,
                        anchor INTEGER NOT NULL,
                        time_zone TEXT NOT NULL,
                        pending_plan_id TEXT REFERENCES plans(id),
                        pending_plan_cycle INTEGER CHECK (pending_plan_cycle >= 1),
                        last_reset_cycle INTEGER CHECK (last_reset_cycle >= 0),
                        next_reset_at INTEGER NOT NULL,
                        CHECK ((pending_plan_id IS NULL) = (pending_plan_cycle IS NULL)),
                        CHECK (anchor >= started_at)
                    );
                    CREATE INDEX subscriptions_due ON subscriptions(next_reset_at);
                    CREATE TABLE credit_packages (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL CHECK (name <> ''),
                        credits INTEGER NOT NULL CHECK (credits > 0),
                        price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
                        currency TEXT NOT NULL CHECK (length(currency) = 3),
                        validity_days INTEGER CHECK (validity_days > 0),
                        active INTEGER NOT NULL CHECK (active IN (0, 1))
                    );
                    CREATE TABLE purchases (
                        id TEXT PRIMARY KEY,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        wallet_id TEXT NOT NULL REFERENCES wallets(id),
                        package_id TEXT NOT NULL REFERENCES credit_packages(id),
                        credits INTEGER NOT NULL CHECK (credits > 0),
                        price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
                        currency TEXT NOT NULL,
                        validity_days INTEGER,
                        provider TEXT NOT NULL,
                        idempotency_key TEXT NOT NULL,
                        checkout_id TEXT,
                        checkout_url TEXT,
                        payment_reference TEXT,
                        status TEXT NOT NULL
                            CHECK (status IN ('pending', 'completed', 'partially_refunded', 'refunded')),
                        created_at INTEGER NOT NULL,
                        completed_at INTEGER,
                        lot_id TEXT REFERENCES lots(id),
                        expires_at INTEGER,
                        refunded_minor INTEGER NOT NULL CHECK (refunded_minor >= 0),
                        credits_taken_back INTEGER NOT NULL CHECK (credits_taken_back >= 0),
                        credits_already_spent INTEGER NOT NULL CHECK (credits_already_spent >= 0),
                        refunded_at INTEGER,
                        UNIQUE (workspace_id, idempotency_key),
                        CHECK ((status = 'pending') = (lot_id IS NULL)),
                        CHECK (credits_taken_back + credits_already_spent <= credits)
                    );
                    CREATE INDEX purchases_by_workspace ON purchases(workspace_id, id);
                    CREATE UNIQUE INDEX purchases_by_payment ON purchases(provider, payment_reference)
                        WHERE payment_reference IS NOT NULL;
                    CREATE INDEX lots_held ON lots(wallet_id) WHERE held > 0;
                    CREATE INDEX lots_by_reference ON lots(wallet_id, reference) WHERE reference IS NOT NULL;
                    """)
        }
    }
}
