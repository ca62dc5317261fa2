import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO
import Testing

@testable import CreditsPostgres

/// A database of its own for one test, on the server named by `CALLCREDITS_TEST_POSTGRES_URL`
/// (`scripts/postgres-server start` prints one). Created with CREATE DATABASE, dropped WITH (FORCE) after.
struct PostgresTestDatabase: Sendable {
    static let serverURL = ProcessInfo.processInfo.environment["CALLCREDITS_TEST_POSTGRES_URL"].flatMap {
        $0.isEmpty ? nil : $0
    }
    static var isConfigured: Bool { serverURL != nil }
    /// Connections per store; two stores per test stay well under the throwaway server's max_connections.
    static let poolSize = 10

    /// The logger every test store (and its connection pool) logs to. `CALLCREDITS_TEST_POSTGRES_LOG=debug` shows
    /// the pool's background events (connections created, leased, released, closed) and the store's retries;
    /// `trace` adds every message on the wire. Default: info.
    static let storeLogger: Logger = {
        var logger = Logger(label: "callcredits.postgres")
        let level = ProcessInfo.processInfo.environment["CALLCREDITS_TEST_POSTGRES_LOG"] ?? ""
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }()

    /// The database's name: `cc_test_` and 16 random lowercase letters, safe to put into DDL unquoted.
    let name: String
    /// A URL for `PostgresStore` on this database.
    let url: String

    /// Runs `body` with a fresh database and drops it afterwards, also when `body` throws.
    static func with<T>(
        poolSize: Int = poolSize, _ body: (PostgresTestDatabase) async throws -> T
    ) async throws -> T {
        let database = try await create(poolSize: poolSize)
        do {
            let result = try await body(database)
            try await database.drop()
            return result
        } catch {
            try? await database.drop()
            throw error
        }
    }

    static func create(poolSize: Int = poolSize) async throws -> PostgresTestDatabase {
        let server = try #require(serverURL, "CALLCREDITS_TEST_POSTGRES_URL is not set")
        let name = "cc_test_" + String((0..<16).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
        try await admin(server) { connection in
            try await connection.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        }
        var components = try #require(URLComponents(string: server))
        components.path = "/" + name
        components.queryItems = [URLQueryItem(name: "pool_size", value: String(poolSize))]
        return PostgresTestDatabase(name: name, url: try #require(components.string))
    }

    func drop() async throws {
        let server = try #require(Self.serverURL)
        try await Self.admin(server) { connection in
            try await connection.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: Self.logger)
        }
    }

    /// Runs one statement on this test database outside any store, for checks the store does not expose.
    func scalar(_ sql: String) async throws -> Int64 {
        var result: Int64 = 0
        try await Self.admin(url) { connection in
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
                .decode(Int64.self)
            {
                result = value
            }
        }
        return result
    }

    /// Runs `body` on a connection of its own to this test database, outside any store.
    func withConnection(_ body: (PostgresConnection) async throws -> Void) async throws {
        try await Self.admin(url, body)
    }

    /// Terminates every other connection to this database, as a server restart or a network cut would.
    func terminateConnections() async throws -> Int64 {
        try await scalar(
            """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = '\(name)' AND pid <> pg_backend_pid()
            """)
    }

    private static let logger = Logger(label: "callcredits.tests.postgres")

    private static func admin(_ url: String, _ body: (PostgresConnection) async throws -> Void) async throws {
        let components = try #require(URLComponents(string: url))
        let configuration = PostgresConnection.Configuration(
            host: try #require(components.host), port: components.port ?? 5432,
            username: components.user ?? "postgres", password: components.password,
            database: String(components.path.dropFirst()), tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            try await body(connection)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// Two `PostgresStore`s with their own connection pools on one fresh, migrated database: two processes.
func withTwoPostgresStores(
    clock: any CreditsClock = ManualClock(),
    _ body: (PostgresStore, PostgresStore, PostgresTestDatabase) async throws -> Void
) async throws {
    let logger = PostgresTestDatabase.storeLogger
    try await PostgresTestDatabase.with { database in
        try await PostgresStore.withStore(url: database.url, clock: clock, logger: logger) { first in
            try await PostgresStore.withStore(url: database.url, clock: clock, logger: logger) { second in
                try await first.migrate()
                try await body(first, second, database)
            }
        }
    }
}

/// What one racing call ended as.
enum RaceOutcome: Hashable, Sendable {
    case done(replayed: Bool)
    case refused(RefusalCode)
}

func outcome(_ operation: () async throws -> Bool) async throws -> RaceOutcome {
    do {
        return .done(replayed: try await operation())
    } catch let refusal as LedgerRefusal {
        return .refused(refusal.code)
    }
}

func newWorkspace(_ store: some CreditsStore, credits: Int64) async throws -> CreatedWorkspace {
    let created = try await store.createWorkspace(
        NewWorkspace(name: "Acme", timeZone: "Europe/Berlin", firstKey: APIKeySecret.generate(name: "first").key))
    _ = try await store.credit(
        CreditCommand(
            workspaceId: created.workspace.id, walletId: created.pool.id, amount: Credits(credits), source: .purchase,
            reason: "test credits", idempotencyKey: "initial"))
    return created
}

@Suite("PostgresStore", .enabled(if: PostgresTestDatabase.isConfigured), .serialized)
struct PostgresStoreTests {
    @Test("migrating twice changes nothing the second time")
    func migrateTwice() async throws {
        try await PostgresTestDatabase.with { database in
            try await PostgresStore.withStore(url: database.url, logger: PostgresTestDatabase.storeLogger) { store in
                try await store.migrate()
                try await store.migrate()
                #expect(try await database.scalar("SELECT count(*) FROM schema_migrations") == migrationCount)
                let created = try await newWorkspace(store, credits: 3)
                #expect(
                    try await store.balance(workspaceId: created.workspace.id, walletId: created.pool.id).available == 3
                )
            }
        }
    }

    @Test("two processes migrating at once apply every migration once")
    func concurrentMigrate() async throws {
        let logger = PostgresTestDatabase.storeLogger
        try await PostgresTestDatabase.with { database in
            try await PostgresStore.withStore(url: database.url, logger: logger) { first in
                try await PostgresStore.withStore(url: database.url, logger: logger) { second in
                    async let one: Void = first.migrate()
                    async let two: Void = second.migrate()
                    _ = try await (one, two)
                    #expect(try await database.scalar("SELECT count(*) FROM schema_migrations") == migrationCount)
                    #expect(
                        try await database.scalar(
                            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'holds'") == 1)
                    _ = try await newWorkspace(second, credits: 1)
                }
            }
        }
    }

    @Test("500 concurrent holds from two processes on 100 credits: exactly 100 succeed")
    func concurrentHoldsNeverOverspend() async throws {
        try await withTwoPostgresStores { first, second, _ in
            let created = try await newWorkspace(first, credits: 100)
            let outcomes = try await withThrowingTaskGroup(of: RaceOutcome.self) { group in
                for index in 0..<500 {
                    let store = index.isMultiple(of: 2) ? first : second
                    group.addTask {
                        try await outcome {
                            try await store.hold(
                                HoldCommand(
                                    workspaceId: created.workspace.id, walletId: created.pool.id,
                                    attemptId: "attempt-\(index)")
                            ).replayed
                        }
                    }
                }
                return try await group.reduce(into: [RaceOutcome: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(outcomes == [.done(replayed: false): 100, .refused(.outOfCredits): 400])
            let balance = try await second.balance(workspaceId: created.workspace.id, walletId: created.pool.id)
            #expect(balance.available == 0)
            #expect(balance.held == 100)
            #expect(try await first.verify() == [])
        }
    }

    @Test("holds and captures on one wallet from two processes never deadlock")
    func holdsAndCapturesDoNotDeadlock() async throws {
        try await withTwoPostgresStores { first, second, database in
            let created = try await newWorkspace(first, credits: 1_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<32 {
                    let store = caller.isMultiple(of: 2) ? first : second
                    group.addTask {
                        for index in 0..<5 {
                            let attempt = "lifecycle-\(caller)-\(index)"
                            _ = try await store.hold(
                                HoldCommand(
                                    workspaceId: created.workspace.id, walletId: created.pool.id, attemptId: attempt))
                            _ = try await store.capture(workspaceId: created.workspace.id, attemptId: attempt)
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Row locks that conflict with foreign-key checks made holds and captures deadlock (PostgreSQL
            // breaks a deadlock after deadlock_timeout and counts it here).
            try await Task.sleep(for: .milliseconds(700))
            let deadlocks = try await database.scalar(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            #expect(deadlocks == 0)
            let balance = try await first.balance(workspaceId: created.workspace.id, walletId: created.pool.id)
            #expect(balance.available == 840 && balance.held == 0)
            #expect(try await first.verify() == [])
        }
    }

    @Test("one credit command sent concurrently from two processes lands once")
    func concurrentCreditWithOneKeyLandsOnce() async throws {
        try await withTwoPostgresStores { first, second, _ in
            let created = try await newWorkspace(first, credits: 1)
            let command = CreditCommand(
                workspaceId: created.workspace.id, walletId: created.pool.id, amount: 25, source: .purchase,
                reason: "payment pi_123", reference: "pi_123", idempotencyKey: "payment-pi_123")
            let results = try await withThrowingTaskGroup(of: CreditResult.self) { group in
                for index in 0..<20 {
                    let store = index.isMultiple(of: 2) ? first : second
                    group.addTask { try await store.credit(command) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { !$0.replayed }.count == 1)
            #expect(Set(results.compactMap(\.lot?.id)).count == 1)
            let original = try #require(results.first { !$0.replayed })
            for result in results where result.replayed {
                var unreplayed = result
                unreplayed.replayed = false
                #expect(unreplayed == original)
            }
            let balance = try await second.balance(workspaceId: created.workspace.id, walletId: created.pool.id)
            #expect(balance.available == 26)
            #expect(try await first.verify() == [])
        }
    }

    @Test("the same key with different content racing from two processes: one lands, the other conflicts")
    func concurrentCreditConflict() async throws {
        try await withTwoPostgresStores { first, second, _ in
            let created = try await newWorkspace(first, credits: 1)
            func command(_ amount: Credits) -> CreditCommand {
                CreditCommand(
                    workspaceId: created.workspace.id, walletId: created.pool.id, amount: amount, source: .purchase,
                    reason: "payment", idempotencyKey: "payment-1")
            }
            async let one = outcome { try await first.credit(command(10)).replayed }
            async let two = outcome { try await second.credit(command(20)).replayed }
            let outcomes = try await [one, two]
            #expect(outcomes.filter { $0 == .done(replayed: false) }.count == 1)
            #expect(outcomes.filter { $0 == .refused(.idempotencyConflict) }.count == 1)
            let available = try await first.balance(workspaceId: created.workspace.id, walletId: created.pool.id)
                .available
            #expect(available == 11 || available == 21)
        }
    }

    @Test("capture and release racing on one attempt end it exactly once")
    func captureReleaseRaceEndsOnce() async throws {
        try await withTwoPostgresStores { first, second, _ in
            let created = try await newWorkspace(first, credits: 40)
            let workspaceId = created.workspace.id
            for index in 0..<40 {
                _ = try await first.hold(
                    HoldCommand(workspaceId: workspaceId, walletId: created.pool.id, attemptId: "call-\(index)"))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let attemptId = "call-\(index)"
                        let (capture, release) = (
                            (index.isMultiple(of: 2) ? first : second), (index.isMultiple(of: 2) ? second : first)
                        )
                        async let captured = outcome {
                            try await capture.capture(workspaceId: workspaceId, attemptId: attemptId).replayed
                        }
                        async let released = outcome {
                            try await release.release(workspaceId: workspaceId, attemptId: attemptId, reason: .failed)
                                .replayed
                        }
                        let outcomes = try await [captured, released]
                        let hold = try #require(try await first.hold(workspaceId: workspaceId, attemptId: attemptId))
                        #expect(outcomes.filter { $0 == .done(replayed: false) }.count == 1)
                        if outcomes[0] == .done(replayed: false) {
                            #expect(hold.state == .captured)
                            #expect(outcomes[1] == .refused(.holdAlreadyCaptured))
                        } else {
                            #expect(hold.state == .released)
                            #expect(outcomes[0] == .refused(.holdAlreadyReleased))
                        }
                        let entries = try await second.entries(
                            EntryQuery(workspaceId: workspaceId, attemptId: attemptId))
                        #expect(entries.entries.filter { $0.kind == .capture || $0.kind == .release }.count == 1)
                    }
                }
                try await group.waitForAll()
            }
            let balance = try await first.balance(workspaceId: workspaceId, walletId: created.pool.id)
            #expect(balance.held == 0)
            #expect(try await second.verify() == [])
        }
    }

    @Test("two processes sweeping timed-out holds and expired lots at once end each exactly once")
    func concurrentSweepers() async throws {
        let clock = ManualClock()
        try await withTwoPostgresStores(clock: clock) { first, second, _ in
            let created = try await newWorkspace(first, credits: 60)
            let workspaceId = created.workspace.id
            _ = try await first.credit(
                CreditCommand(
                    workspaceId: workspaceId, walletId: created.pool.id, amount: 60, source: .planAllotment,
                    expiresAt: clock.now().addingTimeInterval(600), reason: "allotment", idempotencyKey: "cycle-1"))
            for index in 0..<50 {
                _ = try await second.hold(
                    HoldCommand(
                        workspaceId: workspaceId, walletId: created.pool.id, attemptId: "sweep-\(index)",
                        timeoutSeconds: 60))
            }
            clock.advance(seconds: 3_600)
            async let releasedByFirst = first.releaseTimedOutHolds(limit: 500)
            async let releasedBySecond = second.releaseTimedOutHolds(limit: 500)
            let released = try await releasedByFirst + releasedBySecond
            #expect(released.count == 50)
            #expect(Set(released.map(\.attemptId)).count == 50)
            #expect(released.allSatisfy { $0.state == .released && $0.needsReconciliation })
            async let expiredByFirst = first.expireLots(limit: 500)
            async let expiredBySecond = second.expireLots(limit: 500)
            let expired = try await expiredByFirst + expiredBySecond
            // The holds came from the allotment (it expires first): their credits expired on release, and its
            // 10 unheld credits expire once, by whichever sweeper got there first.
            #expect(expired == 1)
            let balance = try await first.balance(workspaceId: workspaceId, walletId: created.pool.id)
            #expect(balance.held == 0)
            #expect(balance.available == 60)
            #expect(try await first.expireLots(limit: 500) == 0)
            #expect(try await second.verify() == [])
        }
    }
    @Test("holds keep the ledger exact while connections are cut: retries replay, never double-spend")
    func droppedConnectionsAreRetried() async throws {
        try await withTwoPostgresStores { first, second, database in
            let created = try await newWorkspace(first, credits: 100)
            let cutter = Task {
                var cut: Int64 = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(40))
                    cut += (try? await database.terminateConnections()) ?? 0
                }
                return cut
            }
            let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                for index in 0..<150 {
                    let store = index.isMultiple(of: 2) ? first : second
                    let attemptId = "cut-\(index)"
                    group.addTask {
                        // Spread over ~450 ms: group commit ends a burst before the first cut otherwise.
                        try await Task.sleep(for: .milliseconds(3 * index))
                        do {
                            _ = try await store.hold(
                                HoldCommand(
                                    workspaceId: created.workspace.id, walletId: created.pool.id, attemptId: attemptId))
                            return (attemptId, true)
                        } catch is LedgerRefusal {
                            return (attemptId, false)
                        } catch let error as PostgresStoreError {
                            // Retries exhausted: allowed, but the description must not leak SQL.
                            #expect(!error.description.contains("SELECT"))
                            return (attemptId, false)
                        }
                    }
                }
                return try await group.reduce(into: [String: Bool]()) { $0[$1.0] = $1.1 }
            }
            cutter.cancel()
            let cut = await cutter.value
            #expect(cut > 0, "the test should actually have cut connections")
            for (attemptId, succeeded) in outcomes where succeeded {
                #expect(try await first.hold(workspaceId: created.workspace.id, attemptId: attemptId) != nil)
            }
            let balance = try await second.balance(workspaceId: created.workspace.id, walletId: created.pool.id)
            #expect(balance.available + balance.held == 100)
            #expect(outcomes.values.filter { $0 }.count <= 100)
            #expect(try await first.verify() == [])
        }
    }
    @Test("captures racing the timeout sweeper from another process still charge each attempt exactly once")
    func capturesRacingTheSweeper() async throws {
        let clock = ManualClock()
        try await withTwoPostgresStores(clock: clock) { first, second, _ in
            let created = try await newWorkspace(first, credits: 50)
            let workspaceId = created.workspace.id
            for index in 0..<30 {
                _ = try await first.hold(
                    HoldCommand(
                        workspaceId: workspaceId, walletId: created.pool.id, attemptId: "late-\(index)",
                        timeoutSeconds: 60))
            }
            clock.advance(seconds: 120)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await first.releaseTimedOutHolds(limit: 500) }
                for index in 0..<30 {
                    group.addTask {
                        let result = try await second.capture(workspaceId: workspaceId, attemptId: "late-\(index)")
                        #expect(result.hold.state == .captured)
                        #expect(!result.replayed)
                    }
                }
                try await group.waitForAll()
            }
            // Whether the sweeper released a hold first (then the capture charged it anew) or the capture came
            // first, every attempt is charged once and nothing stays held.
            let balance = try await first.balance(workspaceId: workspaceId, walletId: created.pool.id)
            #expect(balance.held == 0)
            #expect(balance.available == 20)
            #expect(try await first.releaseTimedOutHolds(limit: 500) == [])
            #expect(try await second.verify() == [])
        }
    }
}

@Suite("PostgresStore configuration")
struct PostgresStoreConfigurationTests {
    @Test(
        "a database URL that cannot be read is refused without echoing it",
        arguments: [
            "mysql://user:s3cret@host/db", "postgres://user:s3cret@/db", "not a url",
            "postgres://user:s3cret@host/db?sslmode=sometimes", "postgres://user:s3cret@host/db?pool_size=0",
            "postgres://user:s3cret@host/db?pool_size=100000",
        ])
    func invalidURL(_ url: String) throws {
        let error = try #require(throws: PostgresStoreError.self) { try PostgresStore(url: url) }
        #expect(error.code == .invalidURL)
        #expect(!error.description.contains("s3cret"))
    }

    @Test(
        "pool_size is split: a quarter for the ledger's drains (generic plans), the rest for every other statement",
        arguments: [(20, 5, 15), (10, 2, 8), (5, 1, 4), (2, 1, 1), (1, 1, 1), (200, 50, 150)])
    func poolSizeIsSplit(_ poolSize: Int, _ ledger: Int, _ store: Int) throws {
        let pools = try PostgresURL.storeConfigurations("postgres://127.0.0.1/db?pool_size=\(poolSize)")
        #expect(pools.ledger.options.maximumConnections == ledger)
        #expect(pools.store.options.maximumConnections == store)
        #expect(
            pools.ledger.options.additionalStartupParameters.contains {
                $0 == ("plan_cache_mode", "force_generic_plan")
            })
        #expect(pools.store.options.additionalStartupParameters.isEmpty)
        #expect(pools.ledger.options.minimumConnections == 1 && pools.store.options.minimumConnections == 1)
    }

    @Test("a postgres URL with options makes a store without connecting")
    func validURL() throws {
        _ = try PostgresStore(url: "postgres://user:s3cret@127.0.0.1:1/db?sslmode=disable&pool_size=5")
        _ = try PostgresStore(url: "postgresql://127.0.0.1/db")
    }
}

/// How many migrations a migrated database records.
let migrationCount = Int64(PostgresStore.migrationNames.count)
