extension PostgresStore {
    /// `0009_lean_ledger`: the hot tables (holds, entries) without foreign keys, and holds keyed by
    /// `(workspace_id, attempt_id)`, as SQLite's `008_lean_ledger` did.
    ///
    /// Each foreign key is a per-row trigger that looks its parent up and locks it `FOR KEY SHARE`: a lifecycle
    /// (one hold, two entries) made eight such lookups, on the wallet and lot rows every operation of the wallet
    /// also locks, for references the store builds from rows it has just locked. Those references are now
    /// checked by `verify` (`Verification.check`: every entry's lot and hold and every hold's lot exist, in the
    /// same wallet). Holds were keyed by id with a unique index on `(workspace_id, attempt_id)`; every read and
    /// write goes by attempt, so that pair is the key (still named `holds_attempt_key`, the constraint a lost race
    /// ends on) and the second index is gone. Lots, wallets and every other table keep their foreign keys.
    static let leanLedgerMigration = Migration(
        name: "0009_lean_ledger",
        statements: [
            """
            ALTER TABLE entries
                DROP CONSTRAINT entries_workspace_id_wallet_id_fkey,
                DROP CONSTRAINT entries_workspace_id_lot_id_fkey,
                DROP CONSTRAINT entries_workspace_id_hold_id_fkey
            """,
            """
            ALTER TABLE holds
                DROP CONSTRAINT holds_workspace_id_wallet_id_fkey,
                DROP CONSTRAINT holds_workspace_id_lot_id_fkey,
                DROP CONSTRAINT holds_pkey,
                DROP CONSTRAINT holds_attempt_key,
                ADD CONSTRAINT holds_attempt_key PRIMARY KEY (workspace_id, attempt_id)
            """,
        ])
}
