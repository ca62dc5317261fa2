import Foundation
import PostgresNIO
import Synchronization
import Testing

@testable import CreditsPostgres

/// How the connection pool that every PostgreSQL client of ours uses (`PostgresURL.configuration`) behaves when
/// connections are cut, and before its `run()` starts.
@Suite("PostgreSQL connection pool", .enabled(if: PostgresTestDatabase.isConfigured), .serialized)
struct PostgresPoolTests {
    /// How long a request may wait for a connection before the test calls it stranded.
    static let servedWithinSeconds = 10.0

    @Test("a request waiting for a connection is served after every pooled connection was cut")
    func waitingRequestIsServedAfterEveryConnectionWasCut() async throws {
        try await PostgresTestDatabase.with { database in
            let client = try Self.client(database, poolSize: 1)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                // The holder takes the only connection and keeps it until the server terminates it; it then gives
                // up (as a store operation out of retries does) and returns its lease only after the pool has seen
                // the connection close.
                let holder = Task {
                    try await client.withConnection { connection in
                        do {
                            for try await _ in try await connection.query("SELECT pg_sleep(60)", logger: Self.logger) {}
                        } catch {
                            while !connection.isClosed { try await Task.sleep(for: .milliseconds(10)) }
                            try await Task.sleep(for: .milliseconds(200))
                            throw error
                        }
                    }
                }
                try await Self.waitUntil { try await Self.activeQueries(database) == 1 }
                let waiter = Task {
                    try await client.withConnection { connection in
                        _ = try await connection.query("SELECT 1", logger: Self.logger)
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await database.terminateConnections() == 1)
                #expect(await holder.result.failed)
                // PostgresNIO's pool opens no connection for requests already waiting when its last connection
                // closes, unless the configuration keeps a minimum; then the waiter would wait forever.
                let timeout = Task {
                    try await Task.sleep(for: .seconds(Self.servedWithinSeconds))
                    waiter.cancel()
                }
                defer { timeout.cancel() }
                let served = await waiter.result
                #expect(!served.failed, "the waiting request was not served: \(served)")
            }
        }
    }

    @Test("a query sent before the pool runs is served once it runs")
    func querySentBeforeRunIsServed() async throws {
        try await PostgresTestDatabase.with { database in
            let client = try Self.client(database, poolSize: 2)
            let answered = Flag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    _ = try await client.query("SELECT 1")
                    answered.set()
                }
                try await Task.sleep(for: .milliseconds(300))
                #expect(!answered.isSet)
                group.addTask { await client.run() }
                try await Self.waitUntil { answered.isSet }
                group.cancelAll()
            }
            #expect(answered.isSet)
        }
    }

    // MARK: Helpers

    static let logger = PostgresTestDatabase.storeLogger

    static func client(_ database: PostgresTestDatabase, poolSize: Int) throws -> PostgresClient {
        var components = try #require(URLComponents(string: database.url))
        components.queryItems = [URLQueryItem(name: "pool_size", value: String(poolSize))]
        return PostgresClient(
            configuration: try PostgresURL.configuration(try #require(components.string)), backgroundLogger: logger)
    }

    /// Queries running on this database other than the one asking.
    static func activeQueries(_ database: PostgresTestDatabase) async throws -> Int64 {
        try await database.scalar(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
            """)
    }

    /// Polls `condition` until it holds, for at most `servedWithinSeconds`.
    static func waitUntil(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(servedWithinSeconds)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within \(servedWithinSeconds) s")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
    private let value = Mutex(false)

    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

extension Result {
    /// Whether this is a failure.
    var failed: Bool {
        if case .failure = self { return true }
        return false
    }
}
