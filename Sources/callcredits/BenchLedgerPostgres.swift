import CreditsPostgres
import Foundation

/// `bench ledger` on PostgreSQL: the store and bare SQL take turns in one-second slices on the same server.
enum PostgresLedgerBench {
    static func run(url: String, concurrency: Int, seconds: Double) async throws {
        let (fsyncMs, fsyncSource) = try await flushTime(url: url)
        var options = DatabaseOptions()
        options.database = url
        let slices = max(1, Int(seconds.rounded()))
        let sliceSeconds = seconds / Double(slices)
        var load = LoadResult(count: 0, elapsedSeconds: 0, latenciesMs: [])
        var baselineCount = 0
        var baselineSeconds = 0.0
        try await options.withStore { store in
            for _ in 0..<slices {
                let slice = try await LedgerLoad.run(store: store, concurrency: concurrency, seconds: sliceSeconds)
                load.count += slice.count
                load.elapsedSeconds += slice.elapsedSeconds
                load.latenciesMs += slice.latenciesMs
                let bare = try await PostgresBaseline.run(url: url, concurrency: concurrency, seconds: sliceSeconds)
                baselineCount += bare.count
                baselineSeconds += bare.elapsedSeconds
            }
        }
        print("store: \(load.count) lifecycles in \(BenchFigures.rounded(load.elapsedSeconds))s")
        print("baseline: \(baselineCount) lifecycles in \(BenchFigures.rounded(baselineSeconds))s")
        let perSecond = Double(load.count) / load.elapsedSeconds
        let baselinePerSecond = Double(baselineCount) / baselineSeconds
        try BenchFigures.printJSONLine([
            "bench": "ledger",
            "backend": "postgres",
            "lifecycles_per_s": BenchFigures.rounded(perSecond, 0),
            "baseline_per_s": BenchFigures.rounded(baselinePerSecond, 0),
            "ratio": BenchFigures.rounded(perSecond / baselinePerSecond, 3),
            "p50_ms": BenchFigures.rounded(BenchFigures.quantile(load.latenciesMs, 0.5), 3),
            "p99_ms": BenchFigures.rounded(BenchFigures.quantile(load.latenciesMs, 0.99), 3),
            "fsync_ms": BenchFigures.rounded(fsyncMs, 3),
            "fsync_source": fsyncSource,
            "concurrency": concurrency,
            "seconds": seconds,
            "durability": "PostgreSQL fsync=on, synchronous_commit=on, one transaction per operation",
        ])
    }

    /// The flush time of the server's disk: a file probe beside its data folder when that is on this machine,
    /// else a durable one-row commit as the client sees it.
    private static func flushTime(url: String) async throws -> (Double, String) {
        if let folder = try await PostgresBaseline.localDataDirectory(url: url) {
            let parent = (folder as NSString).deletingLastPathComponent
            if let probe = try? BenchFigures.fsyncMilliseconds(folder: parent) {
                return (probe, "file probe beside the data directory")
            }
        }
        return (try await PostgresBaseline.commitFlushMilliseconds(url: url), "one-row commit minus a round trip")
    }
}
