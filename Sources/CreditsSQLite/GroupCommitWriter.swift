import Foundation
import GRDB
import Synchronization

/// Commits concurrent write operations together: one transaction per batch, one savepoint per operation.
///
/// A durable commit costs one disk flush, so throughput comes from sharing flushes, not from weaker
/// durability. Callers wait in a queue; whoever finds no drain running starts one, and the drain takes
/// everything queued (up to `batchMax`) into one `BEGIN IMMEDIATE … COMMIT`. An operation that throws
/// rolls back its own savepoint only. Every caller is resumed only after COMMIT has returned, so an
/// acknowledged write is on disk (`synchronous = FULL`).
final class GroupCommitWriter: Sendable {
    /// Most operations in one transaction: bounds the time one batch holds the writer.
    static let batchMax = 256

    private struct Job: Sendable {
        /// Runs the operation inside its savepoint; returns how to resume the caller after COMMIT.
        let execute: @Sendable (Database) -> @Sendable () -> Void
        /// Resumes the caller with an error when the whole batch failed to commit.
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var queue: [Job] = []
        var draining = false
    }

    private let pool: DatabasePool
    private let state = Mutex(State())

    init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Runs `work` in the next batch and returns its result once the batch is committed.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                execute: { db in
                    do {
                        let value = try Self.inSavepoint(db) { try work(db) }
                        return { continuation.resume(returning: value) }
                    } catch {
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
                while let batch = self.takeBatch() {
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
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
        }
    }

    private func commit(_ batch: [Job], db: Database) {
        var resumes: [@Sendable () -> Void] = []
        resumes.reserveCapacity(batch.count)
        do {
            try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
            for job in batch { resumes.append(job.execute(db)) }
            try db.cachedStatement(sql: "COMMIT").execute()
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
            for job in batch { job.fail(error) }
            return
        }
        for resume in resumes { resume() }
    }

    /// Runs `body` in a savepoint: its writes are kept if it returns, rolled back alone if it throws.
    private static func inSavepoint<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "SAVEPOINT op").execute()
        do {
            let value = try body()
            try db.cachedStatement(sql: "RELEASE op").execute()
            return value
        } catch {
            try db.cachedStatement(sql: "ROLLBACK TO op").execute()
            try db.cachedStatement(sql: "RELEASE op").execute()
            throw error
        }
    }
}
