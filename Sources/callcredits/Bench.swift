import ArgumentParser
import Foundation

/// `callcredits bench …`: speed checks that print their figures, a JSON line last.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the service's speed; each prints one JSON line last.",
        subcommands: [BenchLedger.self, BenchPreflight.self, BenchCampaign.self, BenchReset.self, BenchUsage.self])
}

/// Figures shared by the benchmarks.
enum BenchFigures {
    /// Operations per group commit, to one decimal.
    static func meanBatch(_ committed: (batches: Int, operations: Int)) -> Double {
        rounded(Double(committed.operations) / Double(max(1, committed.batches)), 1)
    }

    /// The `fraction` quantile of `values` (sorted inside), in the values' unit.
    static func quantile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
        return sorted[max(0, index)]
    }

    /// The disk's median flush time in ms: 4 KiB written and fsync'd, 31 times, in `folder`.
    static func fsyncMilliseconds(folder: String) throws -> Double {
        let path = (folder as NSString).appendingPathComponent(".callcredits-fsync-probe-\(getpid())")
        let descriptor = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw ValidationError("cannot write in \(folder) to measure fsync") }
        defer {
            close(descriptor)
            unlink(path)
        }
        let block = [UInt8](repeating: 7, count: 4096)
        var samples: [Double] = []
        for _ in 0..<31 {
            let start = ContinuousClock.now
            _ = block.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, 4096, 0) }
            fsync(descriptor)
            samples.append(milliseconds(ContinuousClock.now - start))
        }
        return quantile(samples, 0.5)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// Prints `figures` as one JSON object on one line, keys sorted.
    static func printJSONLine(_ figures: [String: any Sendable]) throws {
        let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// The machine's CPU time from `start` to now, as shares of all its CPUs' time in per cent: `cpu_busy_pct`
    /// (this and every other process), `cpu_steal_pct` (on a virtual machine, time the host ran someone else's
    /// work on this machine's CPUs; figures taken while it is high are slower for reasons outside the program).
    /// Empty where /proc/stat is missing.
    static func cpuFigures(since start: MachineCPU?) -> [String: any Sendable] {
        guard let start, let end = MachineCPU.sample() else { return [:] }
        let busy = end.busy - start.busy
        let steal = end.steal - start.steal
        let total = busy + steal + end.idle - start.idle
        guard total > 0 else { return [:] }
        return ["cpu_busy_pct": rounded(100 * busy / total, 1), "cpu_steal_pct": rounded(100 * steal / total, 1)]
    }

    static func rounded(_ value: Double, _ places: Int = 2) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }
}

/// The machine's cumulative CPU time (clock ticks, all CPUs) from the first line of Linux's /proc/stat.
struct MachineCPU {
    /// user, nice, system, irq and softirq.
    var busy: Double
    /// idle and iowait.
    var idle: Double
    var steal: Double

    /// Now; nil where /proc/stat cannot be read.
    static func sample() -> MachineCPU? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 8 else { return nil }
        return MachineCPU(
            busy: ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6], idle: ticks[3] + ticks[4], steal: ticks[7])
    }
}
