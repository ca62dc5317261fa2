import ArgumentParser
import CreditsCore
import CreditsStore
import Foundation
import GRDB

/// `callcredits bench ledger`: hold→capture/release lifecycles through the store with many concurrent
/// callers, against bare SQL doing the minimal writes with the same batching, in the same run.
struct BenchLedger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Lifecycles per second through the store, against a bare-SQL baseline.")

    @Option(help: "SQLite file (created fresh) or postgres:// URL. Default: a new file in the current folder.")
    var database: String?
    @Option(help: "Concurrent callers.") var concurrency = 64
    @Option(help: "Seconds each measurement runs.") var seconds = 5.0

    func run() async throws {
        let ownFile = database == nil
        let path = database ?? FileManager.default.currentDirectoryPath + "/callcredits-bench-\(getpid()).sqlite"
        if path.hasPrefix("postgres") { throw ValidationError("PostgreSQL is not available in this build") }
        defer {
            if ownFile { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        }
        let folder = (path as NSString).deletingLastPathComponent
        let fsyncBefore = try BenchFigures.fsyncMilliseconds(folder: folder.isEmpty ? "." : folder)

        var options = DatabaseOptions()
        options.database = path
        let load = try await options.withStore { store in
            try await LedgerLoad.run(store: store, concurrency: concurrency, seconds: seconds)
        }
        print("store: \(load.count) lifecycles in \(BenchFigures.rounded(load.elapsedSeconds))s")
        let baseline = try SQLiteBaseline.run(path: path, concurrency: concurrency, seconds: seconds)
        print("baseline: \(baseline.count) lifecycles in \(BenchFigures.rounded(baseline.elapsedSeconds))s")
        let fsyncAfter = try BenchFigures.fsyncMilliseconds(folder: folder.isEmpty ? "." : folder)

        let perSecond = Double(load.count) / load.elapsedSeconds
        let baselinePerSecond = Double(baseline.count) / baseline.elapsedSeconds
        try BenchFigures.printJSONLine([
            "bench": "ledger",
            "backend": "sqlite",
            "lifecycles_per_s": BenchFigures.rounded(perSecond, 0),
            "baseline_per_s": BenchFigures.rounded(baselinePerSecond, 0),
            "ratio": BenchFigures.rounded(perSecond / baselinePerSecond, 3),
            "p50_ms": BenchFigures.rounded(BenchFigures.quantile(load.latenciesMs, 0.5), 3),
            "p99_ms": BenchFigures.rounded(BenchFigures.quantile(load.latenciesMs, 0.99), 3),
            "fsync_ms": BenchFigures.rounded(BenchFigures.quantile([fsyncBefore, fsyncAfter], 0.5), 3),
            "fsync_ms_before_after": [BenchFigures.rounded(fsyncBefore, 3), BenchFigures.rounded(fsyncAfter, 3)],
            "concurrency": concurrency,
            "seconds": seconds,
            "durability": "WAL, synchronous=FULL, group commit (acknowledged after COMMIT)",
        ])
    }
}

/// What one load run measured.
struct LoadResult: Sendable {
    var count: Int
    var elapsedSeconds: Double
    var latenciesMs: [Double]
}

/// Drives lifecycles through any store: each caller holds a credit for a new attempt, then captures
/// (even attempts) or releases (odd attempts) it, until the time is up.
enum LedgerLoad {
    static func run(store: any CreditsStore, concurrency: Int, seconds: Double) async throws -> LoadResult {
        let (secret, key) = APIKeySecret.generate(name: "bench")
        _ = secret
        let created = try await store.createWorkspace(NewWorkspace(name: "bench", timeZone: "UTC", firstKey: key))
        let workspace = created.workspace.id
        let wallet = created.pool.id
        try await store.credit(
            CreditCommand(
                workspaceId: workspace, walletId: wallet, amount: 100_000_000, source: .adjustment,
                reason: "bench", idempotencyKey: "bench-grant"))
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let perCaller = try await withThrowingTaskGroup(of: [Double].self) { group in
            for caller in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    var index = 0
                    while ContinuousClock.now < deadline {
                        let attempt = "bench-\(caller)-\(index)"
                        let began = ContinuousClock.now
                        try await store.hold(HoldCommand(workspaceId: workspace, walletId: wallet, attemptId: attempt))
                        if index.isMultiple(of: 2) {
                            try await store.capture(workspaceId: workspace, attemptId: attempt)
                        } else {
                            try await store.release(workspaceId: workspace, attemptId: attempt, reason: .failed)
                        }
                        latencies.append(BenchFigures.milliseconds(ContinuousClock.now - began))
                        index += 1
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: [[Double]]()) { $0.append($1) }
        }
        let elapsed = BenchFigures.milliseconds(ContinuousClock.now - start) / 1000
        let latencies = perCaller.flatMap { $0 }
        return LoadResult(count: latencies.count, elapsedSeconds: elapsed, latenciesMs: latencies)
    }
}

/// The ceiling on the same file and settings: only the writes of a lifecycle, batched the way
/// `concurrency` callers are batched at best (one commit for their holds, one for their endings).
enum SQLiteBaseline {
    static func run(path: String, concurrency: Int, seconds: Double) throws -> LoadResult {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 4000")
        }
        let ids = TimeOrderedIDs()
        let now = Date().millisecondsSince1970
        let workspace = ids.next(.workspace)
        let wallet = ids.next(.wallet)
        let lot = ids.next(.lot)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO workspaces VALUES (?, 'baseline', 'UTC', ?)", arguments: [workspace, now])
            try db.execute(
                sql: "INSERT INTO wallets (id, workspace_id, kind, created_at) VALUES (?, ?, 'pool', ?)",
                arguments: [wallet, workspace, now])
            try db.execute(
                sql: """
                    INSERT INTO lots (id, workspace_id, wallet_id, source, amount, remaining, held, effective_at, created_at)
                    VALUES (?, ?, ?, 'adjustment', 100000000, 100000000, 0, ?, ?)
                    """, arguments: [lot, workspace, wallet, now, now])
        }
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        var count = 0
        var batchLatencies: [Double] = []
        var round = 0
        while ContinuousClock.now < deadline {
            let began = ContinuousClock.now
            let holds = (0..<concurrency).map { _ in ids.next(.hold) }
            try queue.writeWithoutTransaction { db in
                try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
                for (index, hold) in holds.enumerated() {
                    try db.cachedStatement(sql: "UPDATE lots SET remaining = remaining - 1, held = held + 1 WHERE id = ?")
                        .execute(arguments: [lot])
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO holds (id, workspace_id, wallet_id, lot_id, attempt_id, state, created_at, expires_at)
                            VALUES (?, ?, ?, ?, ?, 'held', ?, ?)
                            """
                    ).execute(arguments: [hold, workspace, wallet, lot, "b-\(round)-\(index)", now, now + 3_600_000])
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO entries (id, workspace_id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason, created_at)
                            VALUES (?, ?, ?, ?, ?, ?, 'hold', 1, 'hold', ?)
                            """
                    ).execute(arguments: [ids.next(.entry), workspace, wallet, lot, hold, "b-\(round)-\(index)", now])
                }
                try db.cachedStatement(sql: "COMMIT").execute()
                try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
                for (index, hold) in holds.enumerated() {
                    try db.cachedStatement(sql: "UPDATE lots SET held = held - 1 WHERE id = ?").execute(arguments: [lot])
                    try db.cachedStatement(sql: "UPDATE holds SET state = 'captured', ended_at = ? WHERE id = ?")
                        .execute(arguments: [now, hold])
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO entries (id, workspace_id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason, created_at)
                            VALUES (?, ?, ?, ?, ?, ?, 'capture', 1, 'capture', ?)
                            """
                    ).execute(arguments: [ids.next(.entry), workspace, wallet, lot, hold, "b-\(round)-\(index)", now])
                }
                try db.cachedStatement(sql: "COMMIT").execute()
            }
            count += concurrency
            round += 1
            batchLatencies.append(BenchFigures.milliseconds(ContinuousClock.now - began))
        }
        let elapsed = BenchFigures.milliseconds(ContinuousClock.now - start) / 1000
        return LoadResult(count: count, elapsedSeconds: elapsed, latenciesMs: batchLatencies)
    }
}
