import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// Adds a lot or debits lots. The wallet lock serialises spending and makes a repeat of the same key on the
    /// same wallet wait for the first and then replay it; the same key racing on two wallets loses on
    /// `idempotency_keys_pkey`, retries and gets the replay (or the conflict).
    public func credit(_ command: CreditCommand) async throws -> CreditResult {
        try command.validate()
        return try await transaction("credit") { connection in
            let wallet = try await lockWallet(command.workspaceId, command.walletId, on: connection)
            if let record = try await idempotencyRecord(command.workspaceId, command.idempotencyKey, on: connection) {
                var result = try record.replay(fingerprint: command.fingerprint, as: CreditResult.self)
                result.replayed = true
                return result
            }
            let now = now()
            // Only a debit reads lots; a grant just adds one.
            let lots = command.amount < .zero ? try await lockSpendableLots(wallet, on: connection) : []
            let (result, change) = try Ledger.credit(command, wallet: wallet, lots: lots, now: now, ids: ids)
            try await write(change, on: connection)
            let record = IdempotencyRecord(
                workspaceId: command.workspaceId, key: command.idempotencyKey, fingerprint: command.fingerprint,
                result: try JSONEncoder.ledger.encode(result), createdAt: now)
            try await execute(
                """
                INSERT INTO idempotency_keys (workspace_id, key, fingerprint, result, created_at_ms)
                VALUES (\(record.workspaceId), \(record.key), \(record.fingerprint), \(record.result), \
                \(record.createdAt.millis))
                """, on: connection)
            return result
        }
    }

    /// Reserves one credit, in the workspace's next group commit (`PostgresStore+LedgerBatch.swift`).
    public func hold(_ command: HoldCommand) async throws -> HoldResult {
        try command.validate()
        return try await grouped(.hold(command), workspaceId: command.workspaceId)
    }

    /// Charges the attempt's credit, in the workspace's next group commit.
    public func capture(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> HoldResult {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        return try await grouped(.capture(attemptId), workspaceId: workspaceId)
    }

    /// Returns the attempt's credit to its lot, in the workspace's next group commit.
    public func release(
        workspaceId: WorkspaceID, attemptId: AttemptID, reason: ReleaseReason
    ) async throws -> HoldResult {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        return try await grouped(.release(attemptId, reason), workspaceId: workspaceId)
    }

    /// A hold in its own transaction (the group commit's fallback). The wallet lock makes concurrent holds on one
    /// wallet take turns, so they can never spend more than it has; after the lock, the attempt's existing hold
    /// (if any) is visible and replayed.
    func holdAlone(_ command: HoldCommand) async throws -> HoldResult {
        try await transaction("hold") { connection in
            let wallet = try await lockWallet(command.workspaceId, command.walletId, on: connection)
            let existing = try await hold(command.workspaceId, command.attemptId, locking: false, on: connection)
            let lots = existing == nil ? try await lockSpendableLots(wallet, on: connection) : []
            let (result, change) = try Ledger.hold(
                command, wallet: wallet, existing: existing, lots: lots, now: now(), ids: ids)
            try await write(change, on: connection)
            return result
        }
    }

    /// A capture in its own transaction. The hold row is locked first, so a racing capture/release waits and then
    /// sees the ended hold. A late capture (after a timeout release) also locks the wallet, like a new hold.
    func captureAlone(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> HoldResult {
        try await transaction("capture") { connection in
            let hold = try await existingHold(workspaceId, attemptId, on: connection)
            var lot: Lot?
            var lots: [Lot] = []
            switch hold.state {
            case .held:
                lot = try await lockLot(workspaceId, hold.lotId, on: connection)
            case .released where hold.releaseReason == .timeout:
                let wallet = try await lockWallet(workspaceId, hold.walletId, on: connection)
                lots = try await lockSpendableLots(wallet, on: connection)
            case .released, .captured, .uncollected:
                break
            }
            let (result, change) = try Ledger.capture(hold, lot: lot, lots: lots, now: now(), ids: ids)
            try await write(change, on: connection)
            return result
        }
    }

    /// A release in its own transaction; serialised with capture by the hold row lock.
    func releaseAlone(
        workspaceId: WorkspaceID, attemptId: AttemptID, reason: ReleaseReason
    ) async throws -> HoldResult {
        try await transaction("release") { connection in
            let hold = try await existingHold(workspaceId, attemptId, on: connection)
            let lot = hold.state == .held ? try await lockLot(workspaceId, hold.lotId, on: connection) : nil
            let (result, change) = try Ledger.release(hold, lot: lot, reason: reason, now: now(), ids: ids)
            try await write(change, on: connection)
            return result
        }
    }

    public func hold(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> Hold? {
        try await read("hold") { connection in
            try await hold(workspaceId, attemptId, locking: false, on: connection)
        }
    }

    /// Reads from the primary or a replica alike: a balance is a snapshot for display, not a spending decision.
    public func balance(workspaceId: WorkspaceID, walletId: WalletID) async throws -> Balance {
        let now = now()
        return try await read("balance") { connection in
            let wallet = try await wallet(workspaceId, walletId, locking: false, on: connection)
            let lots = try await rows(
                """
                SELECT \(unescaped: Columns.lot) FROM lots
                WHERE workspace_id = \(workspaceId) AND wallet_id = \(wallet.id) AND (remaining > 0 OR held > 0)
                """, on: connection
            ).map(Lot.init(row:))
            return Balance(walletId: wallet.id, lots: lots, now: now)
        }
    }

    /// Entries newest first by id; fetches `limit + 1` rows to know whether there is a next page.
    public func entries(_ query: EntryQuery) async throws -> EntryPage {
        try query.validate()
        return try await read("entries") { connection in
            let fetched = try await rows(
                """
                SELECT \(unescaped: Columns.entry) FROM entries
                WHERE workspace_id = \(query.workspaceId)
                  AND (\(query.walletId)::text IS NULL OR wallet_id = \(query.walletId))
                  AND (\(query.attemptId)::text IS NULL OR attempt_id = \(query.attemptId))
                  AND (\(query.before)::text IS NULL OR id < \(query.before))
                ORDER BY id DESC LIMIT \(query.limit + 1)
                """, on: connection
            ).map(LedgerEntry.init(row:))
            return EntryPage(fetched: fetched, limit: query.limit)
        }
    }

    // MARK: Loading rows

    func workspaceExists(_ workspaceId: WorkspaceID, on connection: PostgresConnection) async throws -> Bool {
        try await !rows("SELECT 1 FROM workspaces WHERE workspace_id = \(workspaceId)", on: connection).isEmpty
    }

    /// The wallet, refused as MemoryStore does when the workspace or the wallet does not exist.
    func wallet(
        _ workspaceId: WorkspaceID, _ walletId: WalletID, locking: Bool, on connection: PostgresConnection
    ) async throws -> Wallet {
        let found = try await rows(
            """
            SELECT \(unescaped: Columns.wallet) FROM wallets WHERE workspace_id = \(workspaceId) AND id = \(walletId)
            \(unescaped: locking ? "FOR NO KEY UPDATE" : "")
            """, on: connection)
        if let row = found.first { return try Wallet(row: row) }
        guard try await workspaceExists(workspaceId, on: connection) else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        throw LedgerRefusal(.walletNotFound, "no wallet \(walletId) in this workspace")
    }

    /// Locks the wallet row: the one place where spending from a wallet takes turns.
    func lockWallet(
        _ workspaceId: WorkspaceID, _ walletId: WalletID, on connection: PostgresConnection
    ) async throws -> Wallet {
        try await wallet(workspaceId, walletId, locking: true, on: connection)
    }

    /// The wallet's lots with remaining credit, locked in id order (so the expiry sweeper skips them).
    /// Call with the wallet locked.
    func lockSpendableLots(_ wallet: Wallet, on connection: PostgresConnection) async throws -> [Lot] {
        try await rows(
            """
            SELECT \(unescaped: Columns.lot) FROM lots
            WHERE workspace_id = \(wallet.workspaceId) AND wallet_id = \(wallet.id) AND remaining > 0
            ORDER BY id FOR NO KEY UPDATE
            """, on: connection
        ).map(Lot.init(row:))
    }

    func lockLot(_ workspaceId: WorkspaceID, _ lotId: LotID?, on connection: PostgresConnection) async throws -> Lot? {
        guard let lotId else { return nil }
        return try await rows(
            """
            SELECT \(unescaped: Columns.lot) FROM lots WHERE workspace_id = \(workspaceId) AND id = \(lotId)
            FOR NO KEY UPDATE
            """, on: connection
        ).first.map(Lot.init(row:))
    }

    func hold(
        _ workspaceId: WorkspaceID, _ attemptId: AttemptID, locking: Bool, on connection: PostgresConnection
    ) async throws -> Hold? {
        try await rows(
            """
            SELECT \(unescaped: Columns.hold) FROM holds
            WHERE workspace_id = \(workspaceId) AND attempt_id = \(attemptId)
            \(unescaped: locking ? "FOR NO KEY UPDATE" : "")
            """, on: connection
        ).first.map(Hold.init(row:))
    }

    /// The attempt's hold, locked, or `unknown_attempt`.
    func existingHold(
        _ workspaceId: WorkspaceID, _ attemptId: AttemptID, on connection: PostgresConnection
    ) async throws -> Hold {
        guard let hold = try await hold(workspaceId, attemptId, locking: true, on: connection) else {
            throw LedgerRefusal(.unknownAttempt, "no hold for attempt \(attemptId)")
        }
        return hold
    }

    func idempotencyRecord(
        _ workspaceId: WorkspaceID, _ key: String, on connection: PostgresConnection
    ) async throws -> IdempotencyRecord? {
        guard
            let row = try await rows(
                """
                SELECT workspace_id, key, fingerprint, result, created_at_ms FROM idempotency_keys
                WHERE workspace_id = \(workspaceId) AND key = \(key)
                """, on: connection
            ).first
        else { return nil }
        let (workspace, key, fingerprint, result, createdAt) = try row.decode(
            (String, String, String, Data, Int64).self)
        return IdempotencyRecord(
            workspaceId: workspace, key: key, fingerprint: fingerprint, result: result,
            createdAt: Date(millis: createdAt))
    }
}
