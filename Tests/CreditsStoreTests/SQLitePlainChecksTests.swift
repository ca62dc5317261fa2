import CreditsCore
import CreditsStore
import Foundation
import GRDB
import Testing

@testable import CreditsSQLite

/// Migration `009_plain_checks`: CHECK constraints without IN lists of more than two values.
@Suite("SQLite plain CHECK constraints")
struct SQLitePlainChecksTests {
    @Test("an IN list of three or more values becomes ORed equalities; one or two values stay")
    func rewritesOnlyLongLists() {
        #expect(
            SQLiteSchema.plainChecks("CHECK (state IN ('held', 'captured', 'released'))")
                == "CHECK ((state = 'held' OR state = 'captured' OR state = 'released'))")
        #expect(
            SQLiteSchema.plainChecks("CHECK (kind IN ('pool', 'member'))") == "CHECK (kind IN ('pool', 'member'))")
        #expect(
            SQLiteSchema.plainChecks("a TEXT CHECK (a IN ('x','y','z')), b TEXT CHECK (b in ('p', 'q', 'r'))")
                == "a TEXT CHECK ((a = 'x' OR a = 'y' OR a = 'z')), b TEXT CHECK ((b = 'p' OR b = 'q' OR b = 'r'))")
    }

    @Test("no table of a migrated database keeps an IN list of three or more values")
    func schemaHasNoLongLists() async throws {
        let path = TemporaryFolder.make().appending("s.sqlite")
        try await SQLiteStore(path: path, clock: ManualClock(), ids: SequentialIDs()).migrate()
        let definitions = try await DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL")
        }
        #expect(definitions.count > 10)
        for definition in definitions { #expect(SQLiteSchema.plainChecks(definition) == definition) }
    }

    @Test("the rewritten checks still refuse a value outside the list")
    func checksStillRefuse() async throws {
        let path = TemporaryFolder.make().appending("r.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path)
        try await fixture.grant(2)
        try await fixture.newAttempt("a1")
        try await fixture.dial("a1")
        let queue = try DatabaseQueue(path: path)
        for statement in [
            "UPDATE call_attempts SET status = 'ringing' WHERE id = 'a1'",
            "UPDATE call_attempts SET charge = 'maybe' WHERE id = 'a1'",
            "UPDATE holds SET release_reason = 'bored' WHERE attempt_id = 'a1'",
            """
            INSERT INTO entries (id, workspace_id, wallet_id, kind, amount, reason, created_at)
            SELECT 'entry_bad', workspace_id, wallet_id, 'gift', 1, 'test', 0 FROM entries LIMIT 1
            """,
        ] {
            #expect(throws: DatabaseError.self) { try queue.write { db in try db.execute(sql: statement) } }
        }
        try await fixture.expectClean()
    }

    @Test("the migration keeps rows, indexes and triggers of the rebuilt tables")
    func migrationKeepsEverything() async throws {
        let path = TemporaryFolder.make().appending("m.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path, upTo: "008_lean_ledger")
        let store = fixture.store
        let before = try await DatabaseQueue(path: path).read { db in try Self.companions(db) }
        try await fixture.grant(5)
        try await fixture.newAttempt("a1")
        try await fixture.newAttempt("a2", number: "+14155550101")
        try await fixture.dial("a1")
        try await fixture.dial("a2")
        try await fixture.event("a1", "e1", .connected(.person))
        let balance = try await fixture.balance()
        let entries = try await store.entries(EntryQuery(workspaceId: fixture.workspace, limit: 100))
        let attempts = try await store.attempts(AttemptQuery(workspaceId: fixture.workspace, limit: 100))

        try await store.migrate()

        let queue = try DatabaseQueue(path: path)
        #expect(
            try await queue.read { db in try SQLiteSchema.migrator.appliedMigrations(db) }.last == "009_plain_checks")
        #expect(try await queue.read { db in try Self.companions(db) } == before)
        #expect(try await fixture.balance() == balance)
        #expect(try await store.entries(EntryQuery(workspaceId: fixture.workspace, limit: 100)) == entries)
        #expect(try await store.attempts(AttemptQuery(workspaceId: fixture.workspace, limit: 100)) == attempts)
        try await fixture.event("a2", "e2", .failed)
        #expect(try await fixture.balance().available == 4)
        try await fixture.expectClean()
        // The ledger's append-only triggers came back with the table.
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: "UPDATE entries SET amount = 7") }
        }
    }

    /// Every index and trigger by name with its SQL.
    private static func companions(_ db: Database) throws -> [String: String] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL")
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["name"], $0["sql"]) })
    }
}
