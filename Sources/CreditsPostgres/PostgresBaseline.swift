import CreditsCore
import Foundation
import Logging
import PostgresNIO

/// The ceiling for `bench ledger` on PostgreSQL: only the writes of a lifecycle (hold: update the lot, insert
/// the hold and its entry; capture: update the lot and the hold, insert the entry), each operation in its own
/// transaction as the store does, from `concurrency` callers through a pool of the same size, on the same
/// server and tables.
public enum PostgresBaseline {
    /// Runs lifecycles for `seconds`; returns how many and how long it ran.
    public static func run(url: String, concurrency: Int, seconds: Double) async throws -> (
        count: Int, elapsedSeconds: Double
    ) {
        let logger = Logger(label: "callcredits.bench.baseline")
        let client = PostgresClient(configuration: try PostgresURL.configuration(url), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let ids = TimeOrderedIDs()
            let now = Date().millisecondsSince1970
            let workspace = ids.next(.workspace)
            let wallet = ids.next(.wallet)
            let lot = ids.next(.lot)
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "INSERT INTO workspaces VALUES (\(workspace), 'baseline', 'UTC', \(now))", logger: logger)
                try await connection.query(
                    "INSERT INTO wallets VALUES (\(workspace), \(wallet), 'pool', NULL, \(now))", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO lots (workspace_id, id, wallet_id, source, amount, remaining, held, effective_at_ms,
                                      created_at_ms)
                    VALUES (\(workspace), \(lot), \(wallet), 'adjustment', 100000000, 100000000, 0, \(now), \(now))
                    """, logger: logger)
            }
            let start = ContinuousClock.now
            let deadline = start + .milliseconds(Int(seconds * 1000))
            let counts = try await withThrowingTaskGroup(of: Int.self) { callers in
                for _ in 0..<concurrency {
                    callers.addTask {
                        var count = 0
                        while ContinuousClock.now < deadline {
                            let hold = ids.next(.hold)
                            let attempt = ids.next(.attempt)
                            try await client.withTransaction(logger: logger) { connection in
                                try await connection.query(
                                    """
                                    UPDATE lots SET remaining = remaining - 1, held = held + 1
                                    WHERE workspace_id = \(workspace) AND id = \(lot)
                                    """, logger: logger)
                                try await connection.query(
                                    """
                                    INSERT INTO holds (workspace_id, id, wallet_id, lot_id, attempt_id, state,
                                                       created_at_ms, expires_at_ms, needs_reconciliation)
                                    VALUES (\(workspace), \(hold), \(wallet), \(lot), \(attempt), 'held', \(now),
                                            \(now + 3_600_000), false)
                                    """, logger: logger)
                                try await insertEntry(
                                    connection, ids.next(.entry), workspace, wallet, lot, hold, attempt, "hold", now,
                                    logger)
                            }
                            try await client.withTransaction(logger: logger) { connection in
                                try await connection.query(
                                    "UPDATE lots SET held = held - 1 WHERE workspace_id = \(workspace) AND id = \(lot)",
                                    logger: logger)
                                try await connection.query(
                                    """
                                    UPDATE holds SET state = 'captured', ended_at_ms = \(now)
                                    WHERE workspace_id = \(workspace) AND id = \(hold)
                                    """, logger: logger)
                                try await insertEntry(
                                    connection, ids.next(.entry), workspace, wallet, lot, hold, attempt, "capture",
                                    now, logger)
                            }
                            count += 1
                        }
                        return count
                    }
                }
                return try await callers.reduce(0, +)
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return (counts, seconds)
        }
    }

    private static func insertEntry(
        _ connection: PostgresConnection, _ id: String, _ workspace: String, _ wallet: String, _ lot: String,
        _ hold: String, _ attempt: String, _ kind: String, _ now: Int64, _ logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO entries (workspace_id, id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason,
                                 created_at_ms)
            VALUES (\(workspace), \(id), \(wallet), \(lot), \(hold), \(attempt), \(kind), 1, \(kind), \(now))
            """, logger: logger)
    }

    /// The server's data folder, when the server says and it is on this machine.
    public static func localDataDirectory(url: String) async throws -> String? {
        let logger = Logger(label: "callcredits.bench.fsync")
        let client = PostgresClient(configuration: try PostgresURL.configuration(url), backgroundLogger: logger)
        return await withTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let folder = try? await client.withConnection { connection in
                var found: String?
                for try await value in try await connection.query("SHOW data_directory", logger: logger)
                    .decode(String.self)
                {
                    found = value
                }
                return found
            }
            guard let folder = folder ?? nil, FileManager.default.fileExists(atPath: folder) else { return nil }
            return folder
        }
    }

    /// The median time of a one-row durable commit on the server, minus a bare round trip: the server's
    /// flush time as a client sees it (used when the server's data folder is not on this machine).
    public static func commitFlushMilliseconds(url: String) async throws -> Double {
        let logger = Logger(label: "callcredits.bench.fsync")
        let client = PostgresClient(configuration: try PostgresURL.configuration(url), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await client.withConnection { connection in
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS callcredits_flush_probe (n int)", logger: logger)
                var commits: [Double] = []
                var trips: [Double] = []
                for _ in 0..<31 {
                    var began = ContinuousClock.now
                    try await connection.query("SELECT 1", logger: logger)
                    trips.append(milliseconds(ContinuousClock.now - began))
                    began = ContinuousClock.now
                    try await connection.query("INSERT INTO callcredits_flush_probe VALUES (1)", logger: logger)
                    commits.append(milliseconds(ContinuousClock.now - began))
                }
                try await connection.query("DROP TABLE callcredits_flush_probe", logger: logger)
                return max(0, median(commits) - median(trips))
            }
        }
    }

    private static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    private static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
