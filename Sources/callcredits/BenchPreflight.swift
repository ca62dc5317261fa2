import ArgumentParser
import CreditsCore
import Foundation

/// `callcredits bench preflight`: recipient CSV parse and the Send-step figures on a generated upload.
struct BenchPreflight: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight", abstract: "Parse a generated recipient CSV and compute the Send-step figures.")

    @Option(help: "Recipients (CSV rows).") var recipients = 1_000_000
    @Option(help: "Phone numbers per recipient (phone, phone2, …).") var numbers = 3
    @Option(help: "Seed for the generated numbers.") var seed: UInt64 = 7

    func run() async throws {
        guard (1...Limits.csvRowsMax).contains(recipients), (1...20).contains(numbers) else {
            throw ValidationError("recipients must be 1…\(Limits.csvRowsMax) and numbers 1…20")
        }
        let csv = Self.generate(recipients: recipients, numbers: numbers, seed: seed)
        // Every 100th recipient's first number is on the Do Not Call list.
        let dnc = Set(stride(from: 0, to: recipients, by: 100).map { Self.number(recipient: $0, position: 0) })
        let start = ContinuousClock.now
        let parsed = try RecipientCSV.parse(csv)
        let parseSeconds = BenchFigures.milliseconds(ContinuousClock.now - start) / 1000
        let figures = try SendStep.figures(
            recipients: parsed.recipients, dnc: dnc, availableCredits: Credits(Int64(recipients)),
            pacing: Pacing(timeZone: TimeZone(identifier: "America/New_York")!, lines: 20), start: Date())
        let totalSeconds = BenchFigures.milliseconds(ContinuousClock.now - start) / 1000
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print("parsed \(parsed.recipients.count) recipients, \(parsed.rowsRejected) rejected rows")
        print("calls: minimum \(figures.minimumCalls), maximum \(figures.maximumCalls)")
        try BenchFigures.printJSONLine([
            "bench": "preflight",
            "recipients": recipients,
            "numbers": numbers,
            "csv_bytes": csv.count,
            "parse_s": BenchFigures.rounded(parseSeconds, 3),
            "total_s": BenchFigures.rounded(totalSeconds, 3),
            "peak_memory_mb": BenchFigures.rounded(Double(usage.ru_maxrss) / 1024, 1),
            "maximum_calls": figures.maximumCalls,
            "minimum_calls": figures.minimumCalls,
            "dnc_filtered": figures.dncFilteredNumbers,
        ])
    }

    /// A US number for a recipient and position, spread over area codes 201…989.
    static func number(recipient: Int, position: Int) -> String {
        let value = (recipient &* 7_919 &+ position &* 104_729) % 7_000_000
        return "+1\(201 + value % 700)555\(String(format: "%04d", value % 10_000))"
    }

    /// The upload: `first_name,last_name,phone,phone2,…`, one row per recipient.
    static func generate(recipients: Int, numbers: Int, seed: UInt64) -> [UInt8] {
        var text = "first_name,last_name,phone"
        for position in 1..<numbers { text += ",phone\(position + 1)" }
        text += "\n"
        var bytes = Array(text.utf8)
        bytes.reserveCapacity(recipients * (24 + numbers * 13))
        for recipient in 0..<recipients {
            bytes += Array("Ada\(Int(seed) &+ recipient % 1000),Lovelace".utf8)
            for position in 0..<numbers {
                bytes.append(UInt8(ascii: ","))
                bytes += Array(number(recipient: recipient, position: position).utf8)
            }
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }
}
