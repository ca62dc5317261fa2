import Foundation
import GRDB
import Synchronization
import Testing

@testable import CreditsSQLite

/// The group-commit writer acknowledges a write only once the WAL holding it is flushed, and builds the
/// next batch while the disk flushes the last one.
@Suite("SQLite WAL flusher")
struct WALFlusherTests {
    /// What happened, in order.
    final class EventLog: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// A WAL-mode database with one table, a writer whose flushes the test holds back, and a log.
    final class Harness: Sendable {
        let pool: DatabasePool
        let writer: GroupCommitWriter
        let events = EventLog()
        /// Each flush waits for one signal.
        let gate = DispatchSemaphore(value: 0)

        init() throws {
            pool = try DatabasePool(path: TemporaryFolder.make().appending("f.sqlite"))
            try pool.write { db in try db.execute(sql: "CREATE TABLE t (name TEXT PRIMARY KEY)") }
            let (pool, events, gate) = (pool, events, gate)
            writer = GroupCommitWriter(pool: pool) {
                let rows = try pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY name") }
                events.append("flush began with \(rows.joined(separator: ","))")
                gate.wait()
                events.append("flush ended")
            }
        }

        func insert(_ name: String) async throws {
            try await writer.write { db in try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [name]) }
            events.append("acknowledged \(name)")
        }

        func committedRows() throws -> [String] {
            try pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY name") }
        }

        /// Waits until `condition` holds; gives up after two minutes (other suites running in parallel can
        /// keep the cooperative threads busy for many seconds, so a short deadline would be flaky).
        func eventually(_ condition: () throws -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(120)
            while try !condition() {
                guard ContinuousClock.now < deadline else {
                    Issue.record("timed out")
                    return
                }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    @Test("a write is acknowledged only after a flush that began after its commit has ended")
    func acknowledgedAfterFlush() async throws {
        let harness = try Harness()
        let write = Task { try await harness.insert("a") }
        try await harness.eventually { !harness.events.all.isEmpty }
        try await Task.sleep(for: .milliseconds(50))
        // Committed (a reader sees it) but not acknowledged while the flush is held back.
        #expect(try harness.committedRows() == ["a"])
        #expect(harness.events.all == ["flush began with a"])
        harness.gate.signal()
        try await write.value
        #expect(harness.events.all == ["flush began with a", "flush ended", "acknowledged a"])
        #expect(harness.writer.flushes == 1)
    }

    @Test("the writer commits the next batch during a flush, but never runs more than one batch ahead")
    func oneBatchAhead() async throws {
        let harness = try Harness()
        let first = Task { try await harness.insert("a") }
        try await harness.eventually { !harness.events.all.isEmpty }
        // While "a" flushes, "b" is committed in the next batch…
        let second = Task { try await harness.insert("b") }
        try await harness.eventually { try harness.committedRows() == ["a", "b"] }
        // …but "c" waits: two batches are already waiting for the disk.
        let third = Task { try await harness.insert("c") }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try harness.committedRows() == ["a", "b"])
        #expect(harness.events.all.filter { $0.hasPrefix("acknowledged") }.isEmpty)
        for _ in 0..<3 { harness.gate.signal() }
        try await first.value
        try await second.value
        try await third.value
        #expect(try harness.committedRows() == ["a", "b", "c"])
        let events = harness.events.all
        // Every acknowledgement comes after a flush that began once its row was committed.
        for name in ["a", "b", "c"] {
            let acknowledged = try #require(events.firstIndex(of: "acknowledged \(name)"))
            let flushes = events[..<acknowledged].enumerated().filter {
                $0.element.hasPrefix("flush began with ")
                    && $0.element.dropFirst("flush began with ".count).split(separator: ",").contains(Substring(name))
            }
            let flush = try #require(flushes.first, "no flush covered \(name) before its acknowledgement")
            #expect(events[flush.offset..<acknowledged].contains("flush ended"))
        }
    }

    @Test("one flush covers every batch committed before it began")
    func flushesAreShared() async throws {
        let pool = try DatabasePool(path: TemporaryFolder.make().appending("s.sqlite"))
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY)") }
        let writer = GroupCommitWriter(pool: pool) { Thread.sleep(forTimeInterval: 0.005) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<32 {
                group.addTask {
                    for step in 0..<20 {
                        try await writer.write { db in
                            try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [caller * 1000 + step])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 640)
        #expect(writer.flushes >= 1)
        #expect(writer.flushes <= writer.committed.batches)
    }

    @Test("the store flushes its real WAL file, and a missing one is a clear error")
    func realWALFile() async throws {
        let path = TemporaryFolder.make().appending("w.sqlite")
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        try WALFile(databasePath: path).sync()
        let missing = WALFile(databasePath: TemporaryFolder.make().appending("none.sqlite"))
        #expect(throws: WALFile.FlushFailure.self) { try missing.sync() }
        // Outside a drain the writer connection is back at FULL.
        #expect(try store.synchronousMode() == 2)
    }
}
