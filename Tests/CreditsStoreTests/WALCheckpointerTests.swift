import Foundation
import GRDB
import Synchronization
import Testing

@testable import CreditsSQLite

/// Checkpoints run beside the group-commit writer, not inside its COMMIT.
@Suite("SQLite WAL checkpointer")
struct WALCheckpointerTests {
    /// A WAL-mode database with one table and a group-commit writer using `checkpointer`.
    private static func writer(_ checkpointer: WALCheckpointer) throws -> (DatabasePool, GroupCommitWriter) {
        let pool = try DatabasePool(path: TemporaryFolder.make().appending("c.sqlite"))
        try pool.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, payload BLOB)") }
        return (pool, GroupCommitWriter(pool: pool, checkpointer: checkpointer))
    }

    private static func insert(_ writer: GroupCommitWriter, _ n: Int, bytes: Int = 16) async throws {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: [n, Data(repeating: 7, count: bytes)])
        }
    }

    /// Waits until `condition` holds; false after two minutes (suites running in parallel can keep the
    /// cooperative threads busy for seconds).
    private static func eventually(_ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(120)
        while try !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    @Test("a commit past the threshold starts a checkpoint, and writes are acknowledged while it runs")
    func besideTheWriter() async throws {
        let began = Mutex(0)
        let gate = DispatchSemaphore(value: 0)
        let checkpointer = WALCheckpointer(threshold: 1, writerThreshold: 1_000_000) {
            began.withLock { $0 += 1 }
            gate.wait()
        }
        let (pool, writer) = try Self.writer(checkpointer)
        try await Self.insert(writer, 1)
        try #require(await Self.eventually { began.withLock { $0 } == 1 })
        // The checkpoint is held back; the writer goes on committing and acknowledging.
        for n in 2...5 { try await Self.insert(writer, n) }
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 5)
        #expect(checkpointer.counts == (0, 0, 0))
        // Commits during the checkpoint ask for one more, not one each.
        gate.signal()
        try #require(await Self.eventually { began.withLock { $0 } == 2 })
        gate.signal()
        try #require(await Self.eventually { checkpointer.counts == (2, 0, 0) })
        try await Task.sleep(for: .milliseconds(50))
        #expect(began.withLock { $0 } == 2)
    }

    @Test("a checkpoint is asked for each time the WAL grew by the threshold, counted again after a restart")
    func oncePerThreshold() async throws {
        let checkpointer = WALCheckpointer(threshold: 1_000) {}
        func grow(to frames: Int, expecting checkpoints: Int) async throws {
            #expect(!checkpointer.walGrew(to: frames))
            try #require(await Self.eventually { checkpointer.counts.checkpoints == checkpoints })
            try await Task.sleep(for: .milliseconds(20))
            #expect(checkpointer.counts.checkpoints == checkpoints, "after \(frames) frames")
        }
        try await grow(to: 999, expecting: 0)
        try await grow(to: 1_000, expecting: 1)
        try await grow(to: 1_900, expecting: 1)  // still past the threshold, but grew by less than it
        try await grow(to: 2_000, expecting: 2)
        try await grow(to: 12, expecting: 2)  // the writer started the WAL over
        try await grow(to: 1_012, expecting: 3)
    }

    @Test("once the WAL holds four times the threshold, the writer checkpoints itself")
    func writerCatchesUp() async throws {
        let checkpointer = WALCheckpointer(threshold: 1_000) {}
        #expect(!checkpointer.walGrew(to: 3_999))
        #expect(checkpointer.walGrew(to: 4_000))
        #expect(checkpointer.walGrew(to: 4_100))
        #expect(!checkpointer.walGrew(to: 10))
        #expect(checkpointer.counts.byWriter == 2)
    }

    @Test("a checkpoint beside the writer that never finishes does not let the WAL grow without bound")
    func boundedWhileBesideIsStuck() async throws {
        let gate = DispatchSemaphore(value: 0)
        let path = TemporaryFolder.make().appending("b.sqlite")
        let checkpointer = WALCheckpointer(threshold: 4) { gate.wait() }
        let pool = try DatabasePool(path: path)
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, payload BLOB)") }
        let writer = GroupCommitWriter(pool: pool, checkpointer: checkpointer)
        let fileSize = { (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        let before = try fileSize()
        for n in 1...40 { try await Self.insert(writer, n, bytes: 4_096) }
        // The checkpoint beside the writer is stuck; the writer's own ones copied the rows into the file.
        #expect(checkpointer.counts.checkpoints == 0)
        #expect(checkpointer.counts.byWriter > 0)
        #expect(try fileSize() >= before + 30 * 4_096)
        gate.signal()
        gate.signal()
    }

    @Test("below the threshold no checkpoint runs")
    func belowTheThreshold() async throws {
        let checkpointer = WALCheckpointer(threshold: 1_000_000) { Issue.record("checkpointed") }
        let (_, writer) = try Self.writer(checkpointer)
        for n in 1...20 { try await Self.insert(writer, n) }
        #expect(checkpointer.counts == (0, 0, 0))
    }

    @Test("the passive checkpoint copies the WAL into the database file; a failure is counted and retried")
    func realCheckpoint() async throws {
        let failNext = Mutex(false)
        let path = TemporaryFolder.make().appending("r.sqlite")
        let passive = WALCheckpointer.passive(path: path)
        let checkpointer = WALCheckpointer(threshold: 8) {
            if failNext.withLock({ flag in
                defer { flag = false }
                return flag
            }) {
                throw CocoaError(.fileWriteUnknown)
            }
            try passive()
        }
        let pool = try DatabasePool(path: path)
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, payload BLOB)") }
        let writer = GroupCommitWriter(pool: pool, checkpointer: checkpointer)
        let fileSize = { (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        let before = try fileSize()
        failNext.withLock { $0 = true }
        for n in 1...40 { try await Self.insert(writer, n, bytes: 4_096) }
        try #require(await Self.eventually { checkpointer.counts.checkpoints >= 1 })
        #expect(checkpointer.counts.failures == 1)
        // 40 rows of 4 KiB reached the database file itself, not only the WAL: only a checkpoint copies them.
        try #require(await Self.eventually { try fileSize() >= before + 40 * 4_096 })
    }

    @Test("the store's writer connection has no automatic checkpoint of its own")
    func storeWriterHasNoAutomaticCheckpoint() async throws {
        let store = try SQLiteStore(path: TemporaryFolder.make().appending("s.sqlite"))
        try await store.migrate()
        // SQLite reports 0 once a WAL hook other than its automatic checkpoint is installed.
        let automatic = try await store.readPool.writeWithoutTransaction { db in
            try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint")
        }
        #expect(automatic == 0)
        #expect(store.walCheckpoints.failures == 0)
    }
}
