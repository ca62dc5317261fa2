import CreditsPostgres
import Foundation

/// `bench ledger` on PostgreSQL: the store and bare SQL take turns in one-second slices on the same server.
enum PostgresLedgerBench {
    static func run(url: String, concurrency: Int, seconds: Double) async throws {
        let (fsyncMs, fsyncSource) = try await flushTime(url: url)
        var options = DatabaseOptions()
        options.database = url
        var batches = (batches: 0, operations: 0)
        let cpu = MachineCPU.sample()
        let run = try await options.withStore { store in
            defer { batches = (store as? PostgresStore)?.ledgerBatchStatistics ?? (batches: 1, operations: 0) }
            return try await LedgerLoad.interleaved(store: store, concurrency: concurrency, seconds: seconds) {
                try await PostgresBaseline.run(url: url, concurrency: concurrency, seconds: $0)
            }
        }
        let cpuFigures = BenchFigures.cpuFigures(since: cpu)
        try BenchFigures.printJSONLine(
            run.figures(backend: "postgres", concurrency: concurrency, seconds: seconds).merging([
                "fsync_ms": BenchFigures.rounded(fsyncMs, 3),
                "fsync_source": fsyncSource,
                "mean_batch": BenchFigures.meanBatch(batches),
                "durability":
                    "PostgreSQL fsync=on, synchronous_commit=on, group commit: one transaction per batch of up to "
                    + "\(PostgresStore.ledgerBatchMax) operations of a workspace (acknowledged after COMMIT)",
            ]) { first, _ in first }.merging(cpuFigures) { first, _ in first })
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
