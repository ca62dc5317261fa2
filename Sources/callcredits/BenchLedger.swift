import ArgumentParser
import CreditsCore
import CreditsSQLite
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
        if path.hasPrefix("postgres") {
            return try await PostgresLedgerBench.run(url: path, concurrency: concurrency, seconds: seconds)
        }
        defer {
            if ownFile {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        }
        let folder = (path as NSString).deletingLastPathComponent
        let fsyncBefore = try BenchFigures.fsyncMilliseconds(folder: folder.isEmpty ? "." : folder)

        // The disk's flush time drifts (0.07 ms to 4 ms on this kind of machine), so the store and the
        // baseline take turns in one-second slices: both see the same disk.
        var options = DatabaseOptions()
        options.database = path
        let slices = max(1, Int(seconds.rounded()))
        let sliceSeconds = seconds / Double(slices)
        var load = LoadResult(count: 0, elapsedSeconds: 0, latenciesMs: [])
        var baseline = LoadResult(count: 0, elapsedSeconds: 0, latenciesMs: [])
        var batches = (batches: 0, operations: 0)
        try await options.withStore { store in
            for _ in 0..<slices {
                let slice = try await LedgerLoad.run(store: store, concurrency: concurrency, seconds: sliceSeconds)
                load.count += slice.count
                load.elapsedSeconds += slice.elapsedSeconds
                load.latenciesMs += slice.latenciesMs
                let bare = try SQLiteBaseline.run(path: path, concurrency: concurrency, seconds: sliceSeconds)
                baseline.count += bare.count
                baseline.elapsedSeconds += bare.elapsedSeconds
            }
            batches = (store as? SQLiteStore)?.groupCommitStatistics ?? (batches: 1, operations: 0)
        }
        let meanBatch = Double(batches.operations) / Double(max(1, batches.batches))
        print("store: \(load.count) lifecycles in \(BenchFigures.rounded(load.elapsedSeconds))s")
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
            "mean_batch": BenchFigures.rounded(meanBatch, 1),
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
        let ids = TimeOrderedIDs()
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let perCaller = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    var index = 0
                    while ContinuousClock.now < deadline {
                        let attempt = ids.next(.attempt)
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
