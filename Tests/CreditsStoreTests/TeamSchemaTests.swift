import CreditsCore
import CreditsPostgres
import CreditsStore
import Foundation
import GRDB
import Testing

@testable import CreditsSQLite

/// What the team tables' schema guards on its own: an append-only audit log, and owners for workspaces that existed
/// before teams.
@Suite("Team schema")
struct TeamSchemaTests {
    @Test("SQLite: audit events cannot be updated or deleted")
    func sqliteAuditIsAppendOnly() async throws {
        let path = TemporaryFolder.make().appending("audit.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path)
        try await fixture.team(.record(.purchaseCreated, subject: "pur_1", before: nil, after: nil))
        let queue = try DatabaseQueue(path: path)
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: "UPDATE audit_events SET actor = 'someone else'") }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: "DELETE FROM audit_events") }
        }
        #expect(try await fixture.audit().count == 1)
    }

    @Test("SQLite: 006_teams gives an existing workspace its owner, and its keys become the owner's")
    func sqliteMigrationMakesOwners() async throws {
        let path = TemporaryFolder.make().appending("old.sqlite")
        let queue = try DatabaseQueue(path: path)
        try SQLiteSchema.migrator.migrate(queue, upTo: "005_notifications")
        let key = APIKeySecret.generate(name: "old").key
        try await queue.write { db in
            try db.execute(
                sql: "INSERT INTO workspaces (id, name, time_zone, created_at) VALUES ('ws_old', 'Old', 'UTC', 0)")
            try db.execute(
                sql:
                    "INSERT INTO wallets (id, workspace_id, kind, member_id, created_at) VALUES ('wal_old', 'ws_old', 'pool', NULL, 0)"
            )
            try db.execute(
                sql:
                    "INSERT INTO api_keys (id, workspace_id, name, prefix, hash, created_at) VALUES ('key_old', 'ws_old', 'old', ?, ?, 0)",
                arguments: [key.prefix, key.hash])
        }
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        let people = try await store.people(workspaceId: "ws_old")
        #expect(people.map(\.id) == ["per_ws_old"] && people.map(\.role) == [.owner])
        let migrated = try #require(try await store.apiKey(hash: key.hash))
        #expect(migrated.personId == "per_ws_old" && migrated.role == .owner)
    }

    @Test(
        "PostgreSQL: audit events cannot be updated or deleted",
        .enabled(if: PostgresTestDatabase.isConfigured))
    func postgresAuditIsAppendOnly() async throws {
        try await PostgresTestDatabase.with { database in
            try await PostgresStore.withStore(url: database.url, logger: PostgresTestDatabase.storeLogger) { store in
                try await store.migrate()
                let created = try await store.createWorkspace(
                    NewWorkspace(name: "A", timeZone: "UTC", firstKey: APIKeySecret.generate(name: "k").key))
                _ = try await store.team(
                    TeamRequest(
                        workspaceId: created.workspace.id, actor: created.owner.id,
                        command: .record(.purchaseCreated, subject: nil, before: nil, after: nil)))
                await #expect(throws: (any Error).self) {
                    _ = try await database.scalar(
                        "WITH changed AS (UPDATE audit_events SET actor = 'x' RETURNING 1) SELECT count(*) FROM changed"
                    )
                }
                await #expect(throws: (any Error).self) {
                    _ = try await database.scalar(
                        "WITH gone AS (DELETE FROM audit_events RETURNING 1) SELECT count(*) FROM gone")
                }
                #expect(try await database.scalar("SELECT count(*) FROM audit_events") == 1)
            }
        }
    }
}
