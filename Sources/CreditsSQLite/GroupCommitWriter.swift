import CreditsCore
import Foundation
import GRDB
import Synchronization

/// Commits concurrent write operations together: one transaction per batch.
///
/// A durable commit costs one disk flush, so throughput comes from sharing flushes, not from weaker
/// durability. Callers wait in a queue; whoever finds no drain running starts one, and the drain takes
/// everything queued (up to `batchMax`) into one `BEGIN IMMEDIATE … COMMIT`. Every caller is resumed
/// only after its batch's COMMIT *and* a flush of the WAL that began after it (`WALFlusher`), so an
/// acknowledged write is on disk. The drain commits with `synchronous = NORMAL` and leaves the flush to
/// the flusher, so the writer builds the next batch while the disk flushes the last one; outside a drain
/// the writer connection is back at `synchronous = FULL`. Checkpoints run beside it too (`WALCheckpointer`).
///
/// Contract for an operation: it may throw a `BusinessRefusal` (`LedgerRefusal`, `CallRefusal`, …) only
/// *before* it writes anything (the core decides, then the store writes), so a refusal needs no rollback
/// and the batch goes on. Any
/// other error may leave partial writes: the batch is rolled back and each of its operations is run
/// again in its own savepoint, so one failing operation never fails the others.
final class GroupCommitWriter: Sendable {
    /// Most operations in one transaction: bounds the time one batch holds the writer.
    static let batchMax = 256

    private struct Job: Sendable {
        /// Runs the operation; returns how to resume the caller after COMMIT, or nil when the
        /// operation failed in a way that needs the batch rolled back.
        let execute: @Sendable (Database, _ isolated: Bool) -> (@Sendable () -> Void)?
        /// Resumes the caller with an error when the whole batch failed to commit.
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var queue: [Job] = []
        var draining = false
        var batches = 0
        var operations = 0
    }

    private let pool: DatabasePool
    private let state = Mutex(State())
    private let flusher: WALFlusher
    private let checkpointer: WALCheckpointer

    /// `flush` makes the WAL durable; by default, `fdatasync` of the database's WAL file. `checkpointer`
    /// copies the WAL into the database; by default, a passive checkpoint on a connection of its own each time
    /// the WAL grew by `WALCheckpointer.framesDefault` frames (and the writer's own past four times that).
    init(pool: DatabasePool, flush: (@Sendable () throws -> Void)? = nil, checkpointer: WALCheckpointer? = nil) {
        self.pool = pool
        let file = WALFile(databasePath: pool.path)
        flusher = WALFlusher(flush: flush ?? { try file.sync() })
        self.checkpointer = checkpointer ?? WALCheckpointer(checkpoint: WALCheckpointer.passive(path: pool.path))
        // The writer keeps the checkpointer (the WAL hook does not) for as long as it can commit.
        self.checkpointer.install(on: pool)
    }

    /// WAL flushes done since the writer was made (one may cover several batches).
    var flushes: Int { flusher.flushes }

    /// Checkpoints since the writer was made.
    var checkpoints: WALCheckpointCounts { checkpointer.counts }

    /// Batches committed and operations in them since the writer was made (for `bench`).
    var committed: (batches: Int, operations: Int) {
        state.withLock { ($0.batches, $0.operations) }
    }

    /// Runs `work` in the next batch and returns its result once the batch is committed.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                execute: { db, isolated in
                    do {
                        let value = try isolated ? Self.inSavepoint(db) { try work(db) } : work(db)
                        return { continuation.resume(returning: value) }
                    } catch let refusal as any BusinessRefusal {
                        return { continuation.resume(throwing: refusal) }
                    } catch {
                        guard isolated else { return nil }
                        return { continuation.resume(throwing: error) }
                    }
                },
                fail: { continuation.resume(throwing: $0) })
            let startDrain = state.withLock { state -> Bool in
                state.queue.append(job)
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if startDrain {
                Task { await self.drain() }
            }
        }
    }

    /// Commits batches until the queue is empty.
    private func drain() async {
        do {
            try await pool.writeWithoutTransaction { db in
                // COMMIT writes the WAL without flushing it; the flusher flushes before anyone is resumed.
                try RawStatement.execute(db.cachedStatement(sql: "PRAGMA synchronous = NORMAL"))
                defer { try? RawStatement.execute(db.cachedStatement(sql: "PRAGMA synchronous = FULL")) }
                while true {
                    self.flusher.waitForEarlierFlushes()
                    guard let batch = self.takeBatch() else { break }
                    self.commit(batch, db: db)
                }
            }
        } catch {
            // The writer connection itself failed: fail whatever is still queued.
            let stranded = state.withLock { state -> [Job] in
                defer {
                    state.queue.removeAll()
                    state.draining = false
                }
                return state.queue
            }
            for job in stranded { job.fail(error) }
        }
    }

    /// The next batch, or nil (and the drain ends) when nothing is queued.
    private func takeBatch() -> [Job]? {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                state.draining = false
                return nil
            }
            let count = min(state.queue.count, Self.batchMax)
            state.batches += 1
            state.operations += count
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
        }
    }

    /// Commits the batch; falls back to one savepoint per operation if an operation failed. Its callers
    /// are resumed once the flusher has the batch on disk.
    private func commit(_ batch: [Job], db: Database) {
        if let resumes = run(batch, db: db, isolated: false) ?? run(batch, db: db, isolated: true), !resumes.isEmpty {
            flusher.committed(resumes)
        }
    }

    /// One transaction over the batch: the callers' resumptions, or nil when it was rolled back.
    private func run(_ batch: [Job], db: Database, isolated: Bool) -> [@Sendable () -> Void]? {
        var resumes: [@Sendable () -> Void] = []
        resumes.reserveCapacity(batch.count)
        do {
            try RawStatement.execute(db.cachedStatement(sql: "BEGIN IMMEDIATE"))
            for job in batch {
                guard let resume = job.execute(db, isolated) else {
                    try RawStatement.execute(db.cachedStatement(sql: "ROLLBACK"))
                    return nil
                }
                resumes.append(resume)
            }
            try RawStatement.execute(db.cachedStatement(sql: "COMMIT"))
            return resumes
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
            for job in batch { job.fail(error) }
            return []
        }
    }

    /// Runs `body` in a savepoint: its writes are kept if it returns, rolled back alone if it throws.
    private static func inSavepoint<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try RawStatement.execute(db.cachedStatement(sql: "SAVEPOINT op"))
        do {
            let value = try body()
            try RawStatement.execute(db.cachedStatement(sql: "RELEASE op"))
            return value
        } catch {
            try RawStatement.execute(db.cachedStatement(sql: "ROLLBACK TO op"))
            try RawStatement.execute(db.cachedStatement(sql: "RELEASE op"))
            throw error
        }
    }
}
