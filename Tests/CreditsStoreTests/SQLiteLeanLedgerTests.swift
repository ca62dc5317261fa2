import CreditsCore
import CreditsStore
import Foundation
import GRDB
import Testing

@testable import CreditsSQLite

/// Migration `008_lean_ledger`: holds keyed by attempt and the hot tables without foreign-key lookups.
@Suite("SQLite lean ledger tables")
struct SQLiteLeanLedgerTests {
    @Test("the migration keeps every lot, hold and entry written before it")
    func migrationKeepsTheLedger() async throws {
        let path = TemporaryFolder.make().appending("m.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path, upTo: "007_portal")
        let store = fixture.store
        try await fixture.grant(10)
        try await fixture.hold("a")
        try await fixture.hold("b")
        try await fixture.hold("c")
        _ = try await store.capture(workspaceId: fixture.workspace, attemptId: "a")
        _ = try await store.release(workspaceId: fixture.workspace, attemptId: "b", reason: .failed)
        let before = try await fixture.balance()
        let entriesBefore = try await store.entries(EntryQuery(workspaceId: fixture.workspace, limit: 100))

        try await store.migrate()

        let queue = try DatabaseQueue(path: path)
        let applied = try await queue.read { db in try SQLiteSchema.migrator.appliedMigrations(db) }
        #expect(applied.contains("008_lean_ledger"))
        #expect(try await fixture.balance() == before)
        #expect(try await store.entries(EntryQuery(workspaceId: fixture.workspace, limit: 100)) == entriesBefore)
        #expect(try await store.hold(workspaceId: fixture.workspace, attemptId: "c")?.state == .held)
        _ = try await store.capture(workspaceId: fixture.workspace, attemptId: "c")
        try await fixture.expectClean()
        // Holds are keyed by attempt now: a second row for the same attempt cannot exist.
        #expect(throws: DatabaseError.self) {
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO holds (workspace_id, attempt_id, id, wallet_id, state, created_at, expires_at)
                        VALUES (?, 'a', 'hold_again', ?, 'held', 0, 1)
                        """, arguments: [fixture.workspace, fixture.pool])
            }
        }
    }

    @Test("verify catches an entry and a hold that name rows which do not exist")
    func verifyCatchesDanglingReferences() async throws {
        let path = TemporaryFolder.make().appending("d.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path)
        try await fixture.grant(5)
        try await fixture.hold("a")
        try await fixture.expectClean()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO entries (id, workspace_id, wallet_id, lot_id, hold_id, attempt_id, kind, amount,
                                         reason, created_at)
                    SELECT 'entry_forged', workspace_id, wallet_id, lot_id, 'hold_missing', 'z', 'capture', 1,
                           'forged', created_at FROM entries WHERE kind = 'hold'
                    """)
            try db.execute(sql: "UPDATE holds SET lot_id = 'lot_missing' WHERE attempt_id = 'a'")
        }
        let problems = try await fixture.store.verify().map(\.description)
        #expect(
            problems.contains { $0.contains("entry entry_forged") && $0.contains("names missing hold hold_missing") })
        #expect(problems.contains { $0.contains("(attempt a)") && $0.contains("names missing lot lot_missing") })
    }
}
