import CreditsCore
import Foundation
import PostgresNIO

/// Group commit for holds, captures and releases.
///
/// Callers queue their operation per workspace and wait. One drain per workspace and process keeps one
/// connection while its queue has work and runs each batch (up to `LedgerQueues.batchMax` operations) in ONE
/// transaction of five round trips: BEGIN; one statement locking the batch's existing holds (`attempt_id = ANY`)
/// and then its wallets (in id order); their spendable lots and the lots of the held holds (locked, in id order);
/// one write statement (`UPDATE … FROM unnest`, `INSERT … SELECT … FROM unnest` as data-modifying CTEs); COMMIT.
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
                try await client.withConnection { connection in
                    while true {
                        let outcomes = try await runLedgerBatch(workspaceId, current.map(\.operation), on: connection)
                        for (job, outcome) in zip(current, outcomes) { job.continuation.resume(with: outcome) }
                        attempt = 1
                        // Let the callers just resumed run up to their next operation before taking the next
                        // batch: they join it instead of forming a second group that alternates with this one.
                        await Task.yield()
                        guard let next = ledgerQueues.next(workspaceId) else { return }
                        current = next
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
        try await client.withConnection { connection in
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
        var existing: [Hold] = []
        var wallets: [Wallet] = []
        for row in try await rows(
            """
            WITH h AS MATERIALIZED (
                SELECT \(unescaped: Columns.hold) FROM holds
                WHERE workspace_id = \(workspaceId) AND attempt_id = ANY(\(attemptIds))
                ORDER BY attempt_id FOR NO KEY UPDATE
            ), w AS MATERIALIZED (
                SELECT \(unescaped: Columns.wallet) FROM wallets
                WHERE workspace_id = \(workspaceId) AND (id = ANY(\(walletIds)) OR id IN (SELECT wallet_id FROM h))
                ORDER BY id FOR NO KEY UPDATE
            )
            SELECT h.*, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint FROM h
            UNION ALL
            SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint,
                   NULL::bigint, NULL::text, NULL::boolean, w.* FROM w
            """, on: connection)
        {
            let columns = try row.decode(
                (
                    String?, String?, String?, String?, String?, String?, Int64?, Int64?, Int64?, String?, Bool?,
                    String?, String?, String?, String?, Int64?
                ).self)
            if columns.0 != nil {
                existing.append(try Hold(row: row))
            } else if let workspace = columns.11, let id = columns.12, let kind = columns.13, let at = columns.15 {
                wallets.append(
                    Wallet(
                        id: id, workspaceId: workspace, kind: try decodeEnum(kind, as: WalletKind.self),
                        memberId: columns.14, createdAt: Date(millis: at)))
            }
        }
        // Only a hold naming a missing wallet costs this extra read: it picks the refusal's code.
        var workspaceExists = true
        if !Set(walletIds).isSubset(of: wallets.map(\.id)) {
            workspaceExists = try await self.workspaceExists(workspaceId, on: connection)
        }
        let heldLotIds = Array(Set(existing.filter { $0.state == .held }.compactMap(\.lotId))).sorted()
        let spendingWalletIds = wallets.map(\.id)
        var lots: [Lot] = []
        if !spendingWalletIds.isEmpty || !heldLotIds.isEmpty {
            lots = try await rows(
                """
                SELECT \(unescaped: Columns.lot) FROM lots
                WHERE workspace_id = \(workspaceId)
                  AND ((wallet_id = ANY(\(spendingWalletIds)) AND remaining > 0) OR id = ANY(\(heldLotIds)))
                ORDER BY id FOR NO KEY UPDATE
                """, on: connection
            ).map(Lot.init(row:))
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

    /// Writes the batch in one statement: lots and existing holds updated from arrays, new holds and entries
    /// inserted from arrays. PostgresNIO has no arrays of optionals, so NULL travels as '' (ids and reasons are
    /// never empty) or as `Int64.min` (times).
    private func write(_ batch: LedgerBatch, on connection: PostgresConnection) async throws {
        let lots = batch.lotsToUpdate
        let inserted = batch.holdsToInsert
        let updated = batch.holdsToUpdate
        let entries = batch.entries
        guard !(lots.isEmpty && inserted.isEmpty && updated.isEmpty && entries.isEmpty) else { return }
        let workspaceId = batch.workspaceId
        let none = Int64.min
        let counted = try await rows(
            """
            WITH lot_rows AS (
                UPDATE lots SET remaining = c.remaining, held = c.held
                FROM unnest(\(lots.map(\.id))::text[], \(lots.map(\.remaining.count))::int8[], \
            \(lots.map(\.held.count))::int8[]) AS c (id, remaining, held)
                WHERE lots.workspace_id = \(workspaceId) AND lots.id = c.id
                RETURNING 1
            ), new_holds AS (
                INSERT INTO holds (\(unescaped: Columns.hold))
                SELECT \(workspaceId), h.id, h.wallet_id, NULLIF(h.lot_id, ''), h.attempt_id, h.state, h.created_at_ms,
                       h.expires_at_ms, NULLIF(h.ended_at_ms, \(none)), NULLIF(h.release_reason, ''),
                       h.needs_reconciliation
                FROM unnest(\(inserted.map(\.id))::text[], \(inserted.map(\.walletId))::text[], \
            \(inserted.map { $0.lotId ?? "" })::text[], \(inserted.map(\.attemptId))::text[], \
            \(inserted.map(\.state.rawValue))::text[], \(inserted.map(\.createdAt.millis))::int8[], \
            \(inserted.map(\.expiresAt.millis))::int8[], \(inserted.map { $0.endedAt?.millis ?? none })::int8[], \
            \(inserted.map { $0.releaseReason?.rawValue ?? "" })::text[], \
            \(inserted.map(\.needsReconciliation))::bool[])
                    AS h (id, wallet_id, lot_id, attempt_id, state, created_at_ms, expires_at_ms, ended_at_ms,
                          release_reason, needs_reconciliation)
            ), hold_rows AS (
                UPDATE holds SET lot_id = NULLIF(h.lot_id, ''), state = h.state,
                       ended_at_ms = NULLIF(h.ended_at_ms, \(none)), release_reason = NULLIF(h.release_reason, ''),
                       needs_reconciliation = h.needs_reconciliation
                FROM unnest(\(updated.map(\.attemptId))::text[], \(updated.map { $0.lotId ?? "" })::text[], \
            \(updated.map(\.state.rawValue))::text[], \(updated.map { $0.endedAt?.millis ?? none })::int8[], \
            \(updated.map { $0.releaseReason?.rawValue ?? "" })::text[], \
            \(updated.map(\.needsReconciliation))::bool[])
                    AS h (attempt_id, lot_id, state, ended_at_ms, release_reason, needs_reconciliation)
                WHERE holds.workspace_id = \(workspaceId) AND holds.attempt_id = h.attempt_id
                RETURNING 1
            ), new_entries AS (
                INSERT INTO entries (\(unescaped: Columns.entry))
                SELECT \(workspaceId), e.id, e.wallet_id, NULLIF(e.lot_id, ''), NULLIF(e.hold_id, ''),
                       NULLIF(e.attempt_id, ''), e.kind, e.amount, e.reason, e.created_at_ms
                FROM unnest(\(entries.map(\.id))::text[], \(entries.map(\.walletId))::text[], \
            \(entries.map { $0.lotId ?? "" })::text[], \(entries.map { $0.holdId ?? "" })::text[], \
            \(entries.map { $0.attemptId ?? "" })::text[], \(entries.map(\.kind.rawValue))::text[], \
            \(entries.map(\.amount.count))::int8[], \(entries.map(\.reason))::text[], \
            \(entries.map(\.createdAt.millis))::int8[])
                    AS e (id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason, created_at_ms)
            )
            SELECT (SELECT count(*) FROM lot_rows), (SELECT count(*) FROM hold_rows)
            """, on: connection)
        guard let row = counted.first else { throw PostgresStoreError(.corruptRow, operation: "ledger batch") }
        let (lotCount, holdCount) = try row.decode((Int64, Int64).self)
        guard lotCount == lots.count, holdCount == updated.count else {
            throw PostgresStoreError(.corruptRow, operation: "ledger batch")
        }
    }
}
