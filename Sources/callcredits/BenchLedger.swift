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
        let cpu = MachineCPU.sample()

        var options = DatabaseOptions()
        options.database = path
        var batches = (batches: 0, operations: 0)
        var flushes = 0
        var checkpoints: WALCheckpointCounts = (0, 0, 0)
        let run = try await options.withStore { store in
            defer {
                batches = (store as? SQLiteStore)?.groupCommitStatistics ?? (batches: 1, operations: 0)
                flushes = (store as? SQLiteStore)?.walFlushes ?? 0
                checkpoints = (store as? SQLiteStore)?.walCheckpoints ?? checkpoints
            }
            return try await LedgerLoad.interleaved(store: store, concurrency: concurrency, seconds: seconds) {
                let bare = try SQLiteBaseline.run(path: path, concurrency: concurrency, seconds: $0)
                return (bare.count, bare.elapsedSeconds)
            }
        }
        let cpuFigures = BenchFigures.cpuFigures(since: cpu)
        let fsyncAfter = try BenchFigures.fsyncMilliseconds(folder: folder.isEmpty ? "." : folder)
        try BenchFigures.printJSONLine(
            run.figures(backend: "sqlite", concurrency: concurrency, seconds: seconds).merging([
                "fsync_ms": BenchFigures.rounded(BenchFigures.quantile([fsyncBefore, fsyncAfter], 0.5), 3),
                "fsync_ms_before_after": [BenchFigures.rounded(fsyncBefore, 3), BenchFigures.rounded(fsyncAfter, 3)],
                "mean_batch": BenchFigures.meanBatch(batches),
                "batches_per_flush": BenchFigures.rounded(Double(batches.batches) / Double(max(1, flushes)), 2),
                "wal_checkpoints": checkpoints.checkpoints,
                "wal_checkpoints_by_writer": checkpoints.byWriter,
                "durability": "WAL, group commit, acknowledged after an fdatasync of the WAL that began after COMMIT",
            ]) { first, _ in first }.merging(cpuFigures) { first, _ in first })
    }
}

/// What one load run measured.
struct LoadResult: Sendable {
    var count: Int
    var elapsedSeconds: Double
    var latenciesMs: [Double]
}

/// A store run and its baseline, taken in turns.
struct InterleavedRun {
    var load: LoadResult
    var baselineCount: Int
    var baselineSeconds: Double

    /// The figures every `bench ledger` line has.
    func figures(backend: String, concurrency: Int, seconds: Double) -> [String: any Sendable] {
        print("store: \(load.count) lifecycles in \(BenchFigures.rounded(load.elapsedSeconds))s")
        print("baseline: \(baselineCount) lifecycles in \(BenchFigures.rounded(baselineSeconds))s")
        let perSecond = Double(load.count) / load.elapsedSeconds
        let baselinePerSecond = Double(baselineCount) / baselineSeconds
        return [
            "bench": "ledger",
            "backend": backend,
            "lifecycles_per_s": BenchFigures.rounded(perSecond, 0),
            "baseline_per_s": BenchFigures.rounded(baselinePerSecond, 0),
            "ratio": BenchFigures.rounded(perSecond / baselinePerSecond, 3),
            "p50_ms": BenchFigures.rounded(BenchFigures.quantile(load.latenciesMs, 0.5), 3),
            "p99_ms": BenchFigures.rounded(BenchFigures.quantile(load.latenciesMs, 0.99), 3),
            "concurrency": concurrency,
            "seconds": seconds,
        ]
    }
}

/// Drives lifecycles through any store: each caller holds a credit for a new attempt, then captures
/// (even attempts) or releases (odd attempts) it, until the time is up.
enum LedgerLoad {
    /// The store and `baseline` take turns in one-second slices: the disk's flush time drifts (0.07 ms to
    /// 4 ms on this kind of machine), and taking turns makes both see the same disk.
    static func interleaved(
        store: any CreditsStore, concurrency: Int, seconds: Double,
        baseline: (Double) async throws -> (count: Int, elapsedSeconds: Double)
    ) async throws -> InterleavedRun {
        let slices = max(1, Int(seconds.rounded()))
        let sliceSeconds = seconds / Double(slices)
        var run = InterleavedRun(
            load: LoadResult(count: 0, elapsedSeconds: 0, latenciesMs: []), baselineCount: 0, baselineSeconds: 0)
        for _ in 0..<slices {
            let slice = try await LedgerLoad.run(store: store, concurrency: concurrency, seconds: sliceSeconds)
            run.load.count += slice.count
            run.load.elapsedSeconds += slice.elapsedSeconds
            run.load.latenciesMs += slice.latenciesMs
            let bare = try await baseline(sliceSeconds)
            run.baselineCount += bare.count
            run.baselineSeconds += bare.elapsedSeconds
        }
        return run
    }

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
