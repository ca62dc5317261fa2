import CreditsCore
import CreditsPostgres
import CreditsSQLite
import CreditsStore
import Foundation
import GRDB
import Testing

/// The attempt's status and its ledger operation never disagree: they commit in one transaction, so a
/// failure between them (a crash, a constraint, a lost connection) leaves neither. Shown by making the
/// attempt's write fail with a trigger after the ledger rows were written in the same transaction.
@Suite("Call atomicity")
struct CallAtomicityTests {
    /// Makes every change of an attempt to `status` fail inside the database.
    static let sqliteTrigger = """
        CREATE TRIGGER fail_attempt BEFORE UPDATE ON call_attempts WHEN NEW.status = 'calling'
        BEGIN SELECT RAISE(ABORT, 'injected failure'); END
        """

    @Test("SQLite: a failed attempt write rolls back the hold taken for it")
    func sqliteDialIsAtomic() async throws {
        let path = TemporaryFolder.make().appending("atomic.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path)
        try await fixture.grant(1)
        try await fixture.newAttempt("a1")
        try await DatabaseQueue(path: path).write { db in try db.execute(sql: Self.sqliteTrigger) }
        await #expect(throws: (any Error).self) { try await fixture.dial("a1") }
        #expect(try await fixture.store.hold(workspaceId: fixture.workspace, attemptId: "a1") == nil)
        #expect(try await fixture.balance().available == 1)
        #expect(try await fixture.attempt("a1")?.status == .waiting)
        try await fixture.expectClean()
    }

    @Test("SQLite: a failed attempt write rolls back the sweeper's timeout release of its hold")
    func sqliteTimeoutIsAtomic() async throws {
        let path = TemporaryFolder.make().appending("timeout.sqlite")
        let fixture = try await Fixture.makeSQLite(path: path)
        try await fixture.grant(1)
        try await fixture.newAttempt("a1")
        try await fixture.dial("a1", timeoutSeconds: 30)
        try await DatabaseQueue(path: path).write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER fail_timeout BEFORE UPDATE ON call_attempts WHEN NEW.charge = 'released_by_timeout'
                    BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                    """)
        }
        fixture.clock.advance(seconds: 31)
        await #expect(throws: (any Error).self) { try await fixture.store.releaseTimedOutHolds(limit: 10) }
        #expect(try await fixture.store.hold(workspaceId: fixture.workspace, attemptId: "a1")?.state == .held)
        #expect(try await fixture.attempt("a1")?.charge == .held)
    }

    @Test(
        "PostgreSQL: a failed attempt write rolls back the hold taken for it",
        .enabled(if: PostgresTestDatabase.isConfigured))
    func postgresDialIsAtomic() async throws {
        try await PostgresTestDatabase.with { database in
            try await PostgresStore.withStore(url: database.url, clock: ManualClock()) { store in
                try await store.migrate()
                let created = try await newWorkspace(store, credits: 1)
                let workspace = created.workspace.id
                _ = try await store.createAttempts(
                    workspaceId: workspace,
                    [NewAttempt(id: "a1", walletId: created.pool.id, phoneNumber: "+14155550100")])
                _ = try await database.scalar(
                    """
                    CREATE FUNCTION fail_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'injected failure'; END $$
                    """)
                _ = try await database.scalar(
                    """
                    CREATE TRIGGER fail_attempt BEFORE UPDATE ON call_attempts FOR EACH ROW
                    WHEN (NEW.status = 'calling') EXECUTE FUNCTION fail_attempt()
                    """)
                await #expect(throws: (any Error).self) {
                    try await store.startDialing(DialCommand(workspaceId: workspace, attemptId: "a1"))
                }
                #expect(try await store.hold(workspaceId: workspace, attemptId: "a1") == nil)
                #expect(try await store.balance(workspaceId: workspace, walletId: created.pool.id).available == 1)
                #expect(try await store.attempt(workspaceId: workspace, attemptId: "a1")?.status == .waiting)
                #expect(try await store.verify().isEmpty)
            }
        }
    }

    @Test(
        "PostgreSQL: two processes racing events for one attempt charge it once",
        .enabled(if: PostgresTestDatabase.isConfigured))
    func postgresRacingEvents() async throws {
        try await withTwoPostgresStores { first, second, _ in
            let created = try await newWorkspace(first, credits: 5)
            let workspace = created.workspace.id
            let new = NewAttempt(id: "a1", walletId: created.pool.id, phoneNumber: "+14155550100")
            // The same attempt created from both processes at once: one row, the other a replay.
            async let one = first.createAttempts(workspaceId: workspace, [new])
            async let two = second.createAttempts(workspaceId: workspace, [new])
            let replays = try await [one, two].flatMap { $0 }.filter(\.replayed).count
            #expect(replays == 1)
            _ = try await first.startDialing(DialCommand(workspaceId: workspace, attemptId: "a1"))
            // Every one of these charges if it comes first; repeats of an event id come from both processes.
            let events: [AttemptEvent] = [
                .connected(.person), .connected(.person), .completed(.answeredFullConversation),
                .completed(.answeredFullConversation), .connected(.unknown), .connected(.unknown),
            ]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, event) in events.enumerated() {
                    let store = index % 2 == 0 ? first : second
                    group.addTask {
                        _ = try await store.applyEvent(
                            AttemptEventCommand(
                                workspaceId: workspace, attemptId: "a1", eventId: "e\(index / 2)",
                                event: event))
                    }
                }
                try await group.waitForAll()
            }
            let captures = try await first.entries(EntryQuery(workspaceId: workspace, attemptId: "a1")).entries
                .filter { $0.kind == .capture }
            #expect(captures.count == 1)
            let attempt = try #require(try await first.attempt(workspaceId: workspace, attemptId: "a1"))
            #expect(attempt.status == .answered && attempt.creditsCharged == 1)
            #expect(try await first.balance(workspaceId: workspace, walletId: created.pool.id).available == 4)
            #expect(try await first.verify().isEmpty)
        }
    }
}
