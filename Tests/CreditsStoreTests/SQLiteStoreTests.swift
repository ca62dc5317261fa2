import CreditsCore
import CreditsStore
import Foundation
import GRDB
import Testing

@testable import CreditsSQLite

/// What only the embedded store has: its durability setting and its integrity guards.
@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test("the writer runs with synchronous = FULL, so an acknowledged commit is flushed")
    func synchronousFull() throws {
        let store = try SQLiteStore(path: TemporaryFolder.make().appending("s.sqlite"))
        #expect(try store.synchronousMode() == 2)
    }

    @Test("verify catches a lot edited behind the ledger's back")
    func verifyCatchesEditedLot() async throws {
        let path = TemporaryFolder.make().appending("v.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path)
        try await fixture.grant(10)
        try await fixture.hold("a")
        try await fixture.expectClean()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: "UPDATE lots SET remaining = remaining - 5") }
        let problems = try await fixture.store.verify()
        #expect(problems.count == 1)
        #expect(problems.first?.problem.contains("remaining is 4 but the entries give 9") == true)
    }

    @Test("verify catches a hold whose state was edited")
    func verifyCatchesEditedHold() async throws {
        let path = TemporaryFolder.make().appending("h.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path)
        try await fixture.grant(1)
        try await fixture.hold("a")
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "UPDATE holds SET state = 'captured', ended_at = created_at")
        }
        #expect(try await fixture.store.verify().map(\.subject).contains { $0.hasPrefix("hold ") })
    }

    @Test("ledger entries cannot be updated or deleted")
    func entriesAreImmutable() async throws {
        let path = TemporaryFolder.make().appending("i.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path)
        try await fixture.grant(1)
        let queue = try DatabaseQueue(path: path)
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: "UPDATE entries SET amount = 100") }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: "DELETE FROM entries") }
        }
    }

    @Test("the schema refuses a negative remaining even if code tried to write one")
    func schemaGuardsBalances() async throws {
        let path = TemporaryFolder.make().appending("c.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path)
        try await fixture.grant(1)
        let queue = try DatabaseQueue(path: path)
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: "UPDATE lots SET remaining = -1") }
        }
    }

    @Test("data written by one store instance is there after reopening the file")
    func reopen() async throws {
        let path = TemporaryFolder.make().appending("r.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path)
        try await fixture.grant(3)
        try await fixture.hold("a")
        let reopened = try SQLiteStore(path: path)
        try await reopened.migrate()
        let balance = try await reopened.balance(workspaceId: fixture.workspace, walletId: fixture.pool)
        #expect(balance.available == 2 && balance.held == 1)
    }
}

extension Fixture {
    /// A fixture on an SQLite file at a known path, so a test can open it behind the store's back.
    /// With `upTo`, the file is migrated only up to that migration (for testing the migrations after it).
    static func makeSQLite(path: String, upTo migration: String? = nil, clock: ManualClock = ManualClock())
        async throws -> Fixture
    {
        let store = try SQLiteStore(path: path, clock: clock, ids: SequentialIDs())
        if let migration {
            try SQLiteSchema.migrator.migrate(DatabaseQueue(path: path), upTo: migration)
        } else {
            try await store.migrate()
        }
        let created = try await store.createWorkspace(
            NewWorkspace(name: "Acme", timeZone: "UTC", firstKey: APIKeySecret.generate(name: "first").key))
        return Fixture(store: store, clock: clock, workspace: created.workspace.id, pool: created.pool.id)
    }
}
