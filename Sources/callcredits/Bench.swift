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

    static func rounded(_ value: Double, _ places: Int = 2) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }
}
