import CreditsCore
import Foundation
import PostgresNIO

/// Group commit for holds, captures and releases.
///
/// Callers queue their operation per workspace and wait. One drain per workspace and process keeps one
/// connection of `ledgerClient` while its queue has work and runs each batch (up to `LedgerQueues.batchMax`
/// operations) in ONE transaction of five round trips: BEGIN; one statement locking the batch's existing holds (one
/// key lookup per attempt, in attempt order) and then its wallets (in id order); their spendable lots and the lots
/// of the held holds (locked, in id order); one write statement (`UPDATE … FROM unnest`, `INSERT … SELECT … FROM
/// unnest`, `INSERT … ON CONFLICT DO UPDATE` as data-modifying CTEs); COMMIT.
/// The two reads and the write are named prepared statements (`LockHoldsAndWallets`, `LockLots`, `WriteBatch`):
/// parsed once per connection and planned once (a generic plan: `ledgerClient`'s connections start with
/// `plan_cache_mode = force_generic_plan`): planning them for each batch's 64-element arrays cost the server about
/// as much as running them. Their text reaches `holds` only by its key (a LATERAL lookup per attempt, an ON CONFLICT
/// arbiter), so the generic plan cannot become a scan of the workspace's holds even when it was made while the
/// table was empty (a test reads the plans).
/// The rules run in `LedgerBatch` over an in-memory copy of the rows, each operation after the previous one.
/// Callers are resumed only after COMMIT, each with its own result or refusal.
///
/// Lock order is holds (by attempt) → wallets (by id) → lots (by id), which agrees with the per-operation
/// paths (hold → wallet → lots, wallet → lots), so several processes serialise on the rows without deadlocks.
extension PostgresStore {
    /// Most holds, captures and releases in one transaction.
    public static var ledgerBatchMax: Int { LedgerQueues.batchMax }

    /// Batches run and operations in them since the store was made (for `bench`; retries count again).
    public var ledgerBatchStatistics: (batches: Int, operations: Int) { ledgerQueues.taken }

    /// Queues `operation` for its workspace's next batch and returns its result once that batch committed.
    func grouped(_ operation: LedgerOperation, workspaceId: WorkspaceID) async throws -> HoldResult {
        try await withCheckedThrowingContinuation { continuation in
            let job = LedgerJob(operation: operation, continuation: continuation)
            if ledgerQueues.enqueue(job, workspaceId: workspaceId) {
                Task { await self.drainLedger(workspaceId) }
            }
        }
    }

    /// Runs the workspace's batches until its queue is empty, on one connection kept for as long as it works.
    ///
    /// A batch whose transaction fails resumes nobody with a success. Rolled back by the server (serialization
    /// failure, deadlock, a lost race on a unique key) or cut off with its connection, it runs again whole on a
    /// new connection: every operation is idempotent by its attempt (a repeat replays), so even a COMMIT whose
    /// outcome is unknown is safe to repeat. After `transactionAttemptsMax` tries its callers get `unavailable`.
    /// Any other failure runs the batch's operations again one by one in their own transactions, so one bad
    /// operation fails alone.
    func drainLedger(_ workspaceId: WorkspaceID) async {
        guard var current = ledgerQueues.next(workspaceId) else { return }
        var attempt = 1
        while true {
            do {
                try await ledgerClient.withConnection { connection in
                    do {
                        while true {
                            let outcomes = try await runLedgerBatch(
                                workspaceId, current.map(\.operation), on: connection)
                            for (job, outcome) in zip(current, outcomes) { job.continuation.resume(with: outcome) }
                            attempt = 1
                            // Let the callers just resumed run up to their next operation before taking the next
                            // batch: they join it instead of forming a second group that alternates with this one.
                            await Task.yield()
                            guard let next = ledgerQueues.next(workspaceId) else { return }
                            current = next
                        }
                    } catch {
                        // PostgresNIO keeps a statement whose preparation failed failed on its connection; closing
                        // the connection after a failure retrying cannot help lets the next one prepare it anew.
                        if Self.classify(Self.unwrap(error).cause) == .permanent, !connection.isClosed {
                            try? await connection.close()
                        }
                        throw error
                    }
                }
                return
            } catch {
                let (cause, _) = Self.unwrap(error)
                switch Self.classify(cause) {
                case .rolledBack, .connectionLost:
                    if attempt < Self.transactionAttemptsMax {
                        logger.debug(
                            "retrying ledger batch",
                            metadata: ["attempt": "\(attempt)", "operations": "\(current.count)"])
                        try? await Self.backoff(attempt: attempt)
                        attempt += 1
                        continue
                    }
                    let failure = PostgresStoreError(.unavailable, operation: "ledger batch", underlying: cause)
                    for job in current { job.continuation.resume(throwing: failure) }
                case .final, .permanent:
                    logger.debug("ledger batch failed; running its operations alone", metadata: ["error": "\(cause)"])
                    await withTaskGroup(of: Void.self) { group in
                        for job in current { group.addTask { await self.runAlone(job, workspaceId: workspaceId) } }
                    }
                }
                attempt = 1
                guard let next = ledgerQueues.next(workspaceId) else { return }
                current = next
            }
        }
    }

    /// The fallback: one operation in its own transaction, as the store did before group commit.
    private func runAlone(_ job: LedgerJob, workspaceId: WorkspaceID) async {
        do {
            let result: HoldResult
            switch job.operation {
            case .hold(let command):
                result = try await holdAlone(command)
            case .capture(let attemptId):
                result = try await captureAlone(workspaceId: workspaceId, attemptId: attemptId)
            case .release(let attemptId, let reason):
                result = try await releaseAlone(workspaceId: workspaceId, attemptId: attemptId, reason: reason)
            }
            job.continuation.resume(returning: result)
        } catch {
            job.continuation.resume(throwing: error)
        }
    }

    /// Runs `operations` as one batch on a connection of its own, without retries: tests put chosen operations
    /// into one batch with it.
    func runLedgerBatch(
        _ workspaceId: WorkspaceID, _ operations: [LedgerOperation]
    ) async throws -> [Result<HoldResult, any Error>] {
        try await ledgerClient.withConnection { connection in
            try await runLedgerBatch(workspaceId, operations, on: connection)
        }
    }

    /// One transaction over the batch; each operation's outcome, decided before anything was written.
    /// Throws (after ROLLBACK) when the transaction failed: then nothing of the batch is written.
    func runLedgerBatch(
        _ workspaceId: WorkspaceID, _ operations: [LedgerOperation], on connection: PostgresConnection
    ) async throws -> [Result<HoldResult, any Error>] {
        try await execute("BEGIN", on: connection)
        let outcomes: [Result<HoldResult, any Error>]
        do {
            outcomes = try await decideAndWrite(workspaceId, operations, on: connection)
        } catch {
            if !connection.isClosed { try? await execute("ROLLBACK", on: connection) }
            throw error
        }
        do {
            try await execute("COMMIT", on: connection)
        } catch {
            throw CommitFailed(cause: error)
        }
        return outcomes
    }

    private func decideAndWrite(
        _ workspaceId: WorkspaceID, _ operations: [LedgerOperation], on connection: PostgresConnection
    ) async throws -> [Result<HoldResult, any Error>] {
        let attemptIds = Array(Set(operations.map(\.attemptId))).sorted()
        let walletIds = LedgerBatch.walletIds(operations, existing: [])
        // One statement, two locks in order: the batch's existing holds (by attempt), then the wallets of its
        // holds and of those holds (by id). Wallet rows come back after the hold rows, with the hold columns NULL.
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(workspaceId)
        bindings.append(attemptIds)
        bindings.append(walletIds)
        var existing: [Hold] = []
        var wallets: [Wallet] = []
        for row in try await prepared(LockHoldsAndWallets(bindings: bindings), on: connection) {
            let cells = row.makeRandomAccess()
            if cells[0].bytes != nil {
                existing.append(try Hold(row: row))
            } else {
                wallets.append(try Wallet(cells, from: LockHoldsAndWallets.walletColumn))
            }
        }
        // The lots in a statement of its own: under READ COMMITTED a statement reads from the snapshot taken when
        // it started, so lots read in the statement that waited for a wallet lock would miss what the lock's
        // holder added or returned before it committed (a test holds the lock, adds a lot and commits).
        let heldLotIds = Array(Set(existing.filter { $0.state == .held }.compactMap(\.lotId))).sorted()
        let spendingWalletIds = wallets.map(\.id)
        var lots: [Lot] = []
        if !spendingWalletIds.isEmpty || !heldLotIds.isEmpty {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(workspaceId)
            bindings.append(spendingWalletIds)
            bindings.append(heldLotIds)
            lots = try await prepared(LockLots(bindings: bindings), on: connection).map(Lot.init(row:))
        }
        // Only a hold naming a missing wallet costs this extra read: it picks the refusal's code.
        var workspaceExists = true
        if !Set(walletIds).isSubset(of: wallets.map(\.id)) {
            workspaceExists = try await self.workspaceExists(workspaceId, on: connection)
        }
        var batch = LedgerBatch(
            workspaceId: workspaceId, wallets: wallets, lots: lots, holds: existing, workspaceExists: workspaceExists)
        let now = now()
        let outcomes = operations.map { operation in
            batch.run(operation, now: now, ids: ids).mapError { error -> any Error in
                guard error is LedgerBatch.MissingLot else { return error }
                return PostgresStoreError(.corruptRow, operation: "ledger batch", underlying: error)
            }
        }
        try await write(batch, on: connection)
        return outcomes
    }

    /// Writes the batch in one statement (`writeRows`).
    private func write(_ batch: LedgerBatch, on connection: PostgresConnection) async throws {
        try await writeRows(
            workspaceId: batch.workspaceId, lots: batch.lotsToUpdate, insertedHolds: batch.holdsToInsert,
            updatedHolds: batch.holdsToUpdate, entries: batch.entries, on: connection)
    }

    /// Writes ledger rows of one workspace in one statement (`WriteBatch`): lots updated from arrays, new holds
    /// and entries inserted from arrays, existing holds rewritten whole through their key. PostgresNIO has no
    /// arrays of optionals, so NULL travels as '' (ids and reasons are never empty) or as `Int64.min` (times).
    /// Used by the group-commit batches and by every single ledger change (`write(_: LedgerChange, on:)`).
    func writeRows(
        workspaceId: WorkspaceID, lots: [Lot], insertedHolds inserted: [Hold], updatedHolds updated: [Hold],
        entries: [LedgerEntry], on connection: PostgresConnection
    ) async throws {
        guard !(lots.isEmpty && inserted.isEmpty && updated.isEmpty && entries.isEmpty) else { return }
        let none = Int64.min
        var bindings = PostgresBindings(capacity: 34)
        bindings.append(workspaceId)
        bindings.append(none)
        bindings.append(lots.map(\.id))
        bindings.append(lots.map(\.remaining.count))
        bindings.append(lots.map(\.held.count))
        appendHolds(inserted, to: &bindings)
        appendHolds(updated, to: &bindings)
        bindings.append(entries.map(\.id))
        bindings.append(entries.map(\.walletId))
        bindings.append(entries.map { $0.lotId ?? "" })
        bindings.append(entries.map { $0.holdId ?? "" })
        bindings.append(entries.map { $0.attemptId ?? "" })
        bindings.append(entries.map(\.kind.rawValue))
        bindings.append(entries.map(\.amount.count))
        bindings.append(entries.map(\.reason))
        bindings.append(entries.map(\.createdAt.millis))
        let counted = try await prepared(WriteBatch(bindings: bindings), on: connection)
        guard let row = counted.first else { throw PostgresStoreError(.corruptRow, operation: "ledger write") }
        let (lotCount, holdCount, holdsInserted) = try row.decode((Int64, Int64, Int64).self)
        guard lotCount == lots.count, holdCount == updated.count, holdsInserted == 0 else {
            throw PostgresStoreError(.corruptRow, operation: "ledger write")
        }
    }

    /// Appends one array per hold column (WriteBatch's order: id, wallet, lot, attempt, state, created, expires,
    /// ended, release reason, needs reconciliation).
    private func appendHolds(_ holds: [Hold], to bindings: inout PostgresBindings) {
        let none = Int64.min
        bindings.append(holds.map(\.id))
        bindings.append(holds.map(\.walletId))
        bindings.append(holds.map { $0.lotId ?? "" })
        bindings.append(holds.map(\.attemptId))
        bindings.append(holds.map(\.state.rawValue))
        bindings.append(holds.map(\.createdAt.millis))
        bindings.append(holds.map(\.expiresAt.millis))
        bindings.append(holds.map { $0.endedAt?.millis ?? none })
        bindings.append(holds.map { $0.releaseReason?.rawValue ?? "" })
        bindings.append(holds.map(\.needsReconciliation))
    }
}

/// The batch's first read: locks its existing holds (one key lookup per attempt, in the order of $2, which the
/// store sorts; OFFSET 0 keeps the lookup a subquery of its own, planned by key), then the wallets of its holds and
/// of those holds (by id). Rows are wide: hold columns first (`Hold(row:)`), then wallet columns from
/// `walletColumn`; each row fills one group and leaves the other NULL. $1 workspace, $2 attempt ids, $3 the wallets the batch's holds name.
struct LockHoldsAndWallets: PreparedBatchStatement {
    static let name = "callcredits_ledger_batch_holds_wallets"
    static let walletColumn = 11
    static let sql = """
        WITH h AS MATERIALIZED (
            SELECT held.* FROM unnest($2::text[]) AS a (attempt_id), LATERAL (
                SELECT \(Columns.hold) FROM holds
                WHERE workspace_id = $1 AND attempt_id = a.attempt_id
                OFFSET 0 FOR NO KEY UPDATE
            ) AS held
        ), w AS MATERIALIZED (
            SELECT \(Columns.wallet) FROM wallets
            WHERE workspace_id = $1 AND (id = ANY($3::text[]) OR id IN (SELECT wallet_id FROM h))
            ORDER BY id FOR NO KEY UPDATE
        )
        SELECT h.*, \(nulls(Self.walletTypes)) FROM h
        UNION ALL
        SELECT \(nulls(Self.holdTypes)), w.* FROM w
        """
    /// The types of `Columns.hold`, workspace first.
    static let holdTypes = ["text", "text", "text", "text", "text", "text", "int8", "int8", "int8", "text", "bool"]
    static let walletTypes = ["text", "text", "text", "text", "int8"]
    let bindings: PostgresBindings
}

/// The batch's second read: the spendable lots of its wallets and the lots of its held holds, locked, by id.
/// $1 workspace, $2 wallet ids, $3 lot ids.
struct LockLots: PreparedBatchStatement {
    static let name = "callcredits_ledger_batch_lots"
    static let sql = """
        SELECT \(Columns.lot) FROM lots
        WHERE workspace_id = $1
          AND ((wallet_id = ANY($2::text[]) AND remaining > 0) OR id = ANY($3::text[]))
        ORDER BY id FOR NO KEY UPDATE
        """
    let bindings: PostgresBindings
}

/// Typed NULLs for the columns of one group that a row of another group leaves empty.
private func nulls(_ types: [String]) -> String {
    types.map { "NULL::\($0)" }.joined(separator: ", ")
}

/// The batch's one write: lots updated from arrays, new holds and entries inserted from arrays, existing holds
/// rewritten through `holds_attempt_key` (`INSERT … ON CONFLICT DO UPDATE`: found by key whatever the plan; an
/// UPDATE joined to the arrays could be planned as a scan of the workspace's holds), as data-modifying CTEs.
/// Returns how many lots it updated, how many existing holds it rewrote, and how many of those it inserted
/// instead (always 0: the batch locked them; anything else rolls the batch back). PostgresNIO has no arrays of
/// optionals, so NULL travels as '' (ids and reasons are never empty) or as $2 (`Int64.min`, times).
/// $1 workspace; lots $3–$5; new holds $6–$15; existing holds $16–$25; entries $26–$34.
struct WriteBatch: PreparedBatchStatement {
    static let name = "callcredits_ledger_batch_write"
    static let sql = """
        WITH lot_rows AS (
            UPDATE lots SET remaining = c.remaining, held = c.held
            FROM unnest($3::text[], $4::int8[], $5::int8[]) AS c (id, remaining, held)
            WHERE lots.workspace_id = $1 AND lots.id = c.id
            RETURNING 1
        ), new_holds AS (
            INSERT INTO holds (\(Columns.hold))
            \(holdRows(from: 6))
        ), hold_rows AS (
            INSERT INTO holds (\(Columns.hold))
            \(holdRows(from: 16))
            ON CONFLICT (workspace_id, attempt_id) DO UPDATE SET
                lot_id = EXCLUDED.lot_id, state = EXCLUDED.state, ended_at_ms = EXCLUDED.ended_at_ms,
                release_reason = EXCLUDED.release_reason, needs_reconciliation = EXCLUDED.needs_reconciliation
            RETURNING xmax = 0 AS inserted
        ), new_entries AS (
            INSERT INTO entries (\(Columns.entry))
            SELECT $1, e.id, e.wallet_id, NULLIF(e.lot_id, ''), NULLIF(e.hold_id, ''), NULLIF(e.attempt_id, ''),
                   e.kind, e.amount, e.reason, e.created_at_ms
            FROM unnest($26::text[], $27::text[], $28::text[], $29::text[], $30::text[], $31::text[], $32::int8[],
                        $33::text[], $34::int8[])
                AS e (id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason, created_at_ms)
        )
        SELECT (SELECT count(*) FROM lot_rows), (SELECT count(*) FROM hold_rows WHERE NOT inserted),
               (SELECT count(*) FROM hold_rows WHERE inserted)
        """
    let bindings: PostgresBindings

    /// Hold rows from ten arrays starting at parameter `first`, in `appendHolds`'s order (the hold columns after
    /// the workspace, which is $1).
    private static func holdRows(from first: Int) -> String {
        let arrays = LockHoldsAndWallets.holdTypes.dropFirst().enumerated().map {
            "$\(first + $0.offset)::\($0.element)[]"
        }.joined(separator: ", ")
        return """
            SELECT $1, h.id, h.wallet_id, NULLIF(h.lot_id, ''), h.attempt_id, h.state, h.created_at_ms,
                   h.expires_at_ms, NULLIF(h.ended_at_ms, $2::int8), NULLIF(h.release_reason, ''),
                   h.needs_reconciliation
            FROM unnest(\(arrays))
                AS h (id, wallet_id, lot_id, attempt_id, state, created_at_ms, expires_at_ms, ended_at_ms,
                      release_reason, needs_reconciliation)
            """
    }
}

extension Wallet {
    /// A wallet from `Columns.wallet` starting at column `first` of a wide row.
    init(_ cells: PostgresRandomAccessRow, from first: Int) throws {
        self.init(
            id: try cells[first + 1].decode(String.self), workspaceId: try cells[first].decode(String.self),
            kind: try decodeEnum(try cells[first + 2].decode(String.self), as: WalletKind.self),
            memberId: try cells[first + 3].decode(String?.self),
            createdAt: Date(millis: try cells[first + 4].decode(Int64.self)))
    }
}
