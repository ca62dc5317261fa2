import CreditsCore
import Foundation
import Logging
import PostgresNIO

/// The ceiling for `bench ledger` on PostgreSQL: only the writes of a lifecycle (hold: update the lot, insert
/// the hold and its entry; capture: update the lot and the hold, insert the entry), batched as the store's
/// group commit batches `concurrency` callers at best: one transaction for `concurrency` holds and one for their
/// captures, each a BEGIN, one set-oriented write statement (`unnest`, the store's shape) and COMMIT, on the
/// same server and tables. No reads, no locks, no rules. The write statements are named prepared statements, as
/// the store's batch statements are.
public enum PostgresBaseline {
    /// Runs lifecycles for `seconds` in batches of `concurrency`; returns how many and how long it ran.
    public static func run(url: String, concurrency: Int, seconds: Double) async throws -> (
        count: Int, elapsedSeconds: Double
    ) {
        let logger = Logger(label: "callcredits.bench.baseline")
        var configuration = try PostgresURL.configuration(url)
        // Generic plans for its two statements, as the store's batches use (`SET LOCAL` there; this connection runs
        // nothing else, so it is set once for the connection).
        configuration.options.additionalStartupParameters = [("plan_cache_mode", "force_generic_plan")]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
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
            let count = try await client.withConnection { connection in
                var count = 0
                while ContinuousClock.now < deadline {
                    let holds = (0..<concurrency).map { _ in ids.next(.hold) }
                    let attempts = (0..<concurrency).map { _ in ids.next(.attempt) }
                    let holdEntries = (0..<concurrency).map { _ in ids.next(.entry) }
                    let captureEntries = (0..<concurrency).map { _ in ids.next(.entry) }
                    var bindings = PostgresBindings(capacity: 8)
                    bindings.append(workspace)
                    bindings.append(wallet)
                    bindings.append(lot)
                    bindings.append(Int64(concurrency))
                    bindings.append(now)
                    bindings.append(holds)
                    bindings.append(attempts)
                    var holdBindings = bindings
                    holdBindings.append(holdEntries)
                    var captureBindings = bindings
                    captureBindings.append(captureEntries)
                    try await inTransaction(connection, logger) {
                        for try await _ in try await connection.execute(
                            HoldWrites(bindings: holdBindings), logger: logger)
                        {}
                    }
                    try await inTransaction(connection, logger) {
                        for try await _ in try await connection.execute(
                            CaptureWrites(bindings: captureBindings), logger: logger)
                        {}
                    }
                    count += concurrency
                }
                return count
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return (count, seconds)
        }
    }

    /// BEGIN, `body`, COMMIT on a connection the baseline keeps, as the store's drain keeps its connection.
    private static func inTransaction(
        _ connection: PostgresConnection, _ logger: Logger, _ body: () async throws -> Void
    ) async throws {
        try await connection.query("BEGIN", logger: logger)
        try await body()
        try await connection.query("COMMIT", logger: logger)
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

// Both statements are read as (empty) row sequences: PostgresNIO 1.33.2's command-tag `execute` for a prepared
// statement traps (`PSQLRowStream.commandTag` precondition) on these data-modifying CTEs.

/// The baseline's hold writes: $1 workspace, $2 wallet, $3 lot, $4 how many, $5 now, $6 hold ids, $7 attempt ids,
/// $8 entry ids.
private struct HoldWrites: PostgresPreparedStatement {
    typealias Row = ()
    static let name = "callcredits_baseline_holds"
    static let sql = """
        WITH lot_row AS (
            UPDATE lots SET remaining = remaining - $4::int8, held = held + $4::int8
            WHERE workspace_id = $1 AND id = $3
        ), new_holds AS (
            INSERT INTO holds (workspace_id, id, wallet_id, lot_id, attempt_id, state, created_at_ms, expires_at_ms,
                               needs_reconciliation)
            SELECT $1, h.id, $2, $3, h.attempt_id, 'held', $5::int8, $5::int8 + 3600000, false
            FROM unnest($6::text[], $7::text[]) AS h (id, attempt_id)
        )
        INSERT INTO entries (workspace_id, id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason,
                             created_at_ms)
        SELECT $1, e.id, $2, $3, e.hold_id, e.attempt_id, 'hold', 1, 'hold', $5::int8
        FROM unnest($8::text[], $6::text[], $7::text[]) AS e (id, hold_id, attempt_id)
        """
    let bindings: PostgresBindings
    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws {}
}

/// The baseline's capture writes: as `HoldWrites`.
private struct CaptureWrites: PostgresPreparedStatement {
    typealias Row = ()
    static let name = "callcredits_baseline_captures"
    static let sql = """
        WITH lot_row AS (
            UPDATE lots SET held = held - $4::int8 WHERE workspace_id = $1 AND id = $3
        ), ended AS (
            UPDATE holds SET state = 'captured', ended_at_ms = $5::int8
            FROM unnest($7::text[]) AS h (attempt_id)
            WHERE holds.workspace_id = $1 AND holds.attempt_id = h.attempt_id
        )
        INSERT INTO entries (workspace_id, id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason,
                             created_at_ms)
        SELECT $1, e.id, $2, $3, e.hold_id, e.attempt_id, 'capture', 1, 'capture', $5::int8
        FROM unnest($8::text[], $6::text[], $7::text[]) AS e (id, hold_id, attempt_id)
        """
    let bindings: PostgresBindings
    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws {}
}
