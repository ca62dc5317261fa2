import ArgumentParser
import CreditsCore
import CreditsServer
import CreditsStore
import Foundation
import Logging

/// `callcredits simulate`: one campaign against the simulated carrier on a fast clock, then a summary and a
/// ledger check. Exits non-zero when the check fails.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a campaign against the simulated carrier (no real waiting) and check the ledger.")

    @Option(help: "Recipients (CSV rows).") var recipients = 1_000
    @Option(help: "Phone numbers per recipient (phone, phone2, …).") var numbers = 3
    @Option(help: "Seed: the same seed gives the same calls.") var seed: UInt64 = 7
    @Option(help: "Simultaneous lines.") var lines = 200
    @Option(help: "Credits granted first (default: one per number, enough for every call).") var credits: Int64?
    @Option(help: "SQLite file or postgres:// URL to run on (default: a throwaway SQLite file).")
    var database: String?

    func run() async throws {
        guard (1...Limits.csvRowsMax).contains(recipients), (1...20).contains(numbers),
            (1...Limits.campaignLinesMax).contains(lines)
        else {
            throw ValidationError(
                "recipients must be 1…\(Limits.csvRowsMax), numbers 1…20, lines 1…\(Limits.campaignLinesMax)")
        }
        let scenario = CampaignScenario(
            recipients: recipients, numbers: numbers, seed: seed, lines: lines, credits: credits)
        print("simulate: \(recipients) recipients, \(numbers) numbers each, seed \(seed), \(lines) lines")
        let passed = try await ScenarioStore.with(database: database) { store, clock in
            let result = try await scenario.run(store: store, clock: clock, logger: ScenarioStore.quietLogger)
            print(
                "\(result.steps) runner ticks, \(Self.formatDuration(result.simulatedSeconds)) simulated in "
                    + "\(String(format: "%.1f", result.seconds)) s")
            return try await Self.report(store, result.launched[0])
        }
        if !passed { throw ExitCode(1) }
    }

    /// Prints attempts and credits per status and the ledger check; true when the check passes.
    static func report(_ store: any ServiceStore, _ result: CampaignScenario.Launched) async throws -> Bool {
        let campaign = result.campaign
        print("campaign \(campaign.id): \(campaign.status.rawValue)")
        let attempts = try await CampaignScenario.attempts(store, result)
        var counts: [AttemptStatus: (attempts: Int, credits: Int64)] = [:]
        for attempt in attempts {
            counts[attempt.status, default: (0, 0)].attempts += 1
            counts[attempt.status, default: (0, 0)].credits += attempt.creditsCharged.count
        }
        print("status      attempts   credits")
        for status in AttemptStatus.allCases {
            let row = counts[status] ?? (0, 0)
            print(
                pad(status.rawValue, 10) + pad(String(row.attempts), 10, right: true)
                    + pad(String(row.credits), 10, right: true))
        }
        let charged = attempts.reduce(Int64(0)) { $0 + $1.creditsCharged.count }
        print(pad("total", 10) + pad(String(attempts.count), 10, right: true) + pad(String(charged), 10, right: true))
        print(
            "recipients: \(campaign.progress.answered) answered by a person, "
                + "\(campaign.progress.done - campaign.progress.answered) not, of \(campaign.progress.recipients)")

        let connected = (counts[.answered]?.attempts ?? 0) + (counts[.missed]?.attempts ?? 0)
        let captured = try await capturedCredits(store, result)
        let balance = try await store.balance(workspaceId: result.workspaceId, walletId: campaign.walletId)
        let problems = try await store.verify()
        var checks: [(String, Bool)] = [
            ("campaign completed", campaign.status == .completed),
            ("no attempt left open", counts[.waiting] == nil && counts[.calling] == nil),
            ("credits captured (\(captured)) = connected attempts (\(connected))", captured == Int64(connected)),
            ("credits charged to attempts (\(charged)) = captured", charged == captured),
            (
                "available (\(balance.available)) = granted − captured",
                balance.available.count == result.granted - captured
            ),
            ("nothing held (\(balance.held))", balance.held == .zero),
            ("verify clean (\(problems.count) discrepancies)", problems.isEmpty),
        ]
        if !problems.isEmpty { for problem in problems.prefix(20) { print("MISMATCH \(problem)") } }
        checks.append(("summary", checks.allSatisfy(\.1)))
        for (name, ok) in checks.dropLast() { print("ledger check: \(ok ? "ok  " : "FAIL") \(name)") }
        let passed = checks.last!.1
        print(passed ? "ledger check: passed" : "ledger check: FAILED")
        return passed
    }

    /// Credits the ledger captured from the campaign's wallet, read from its entries.
    static func capturedCredits(_ store: any ServiceStore, _ result: CampaignScenario.Launched) async throws -> Int64 {
        var captured: Int64 = 0
        var cursor: EntryID?
        repeat {
            let page = try await store.entries(
                EntryQuery(
                    workspaceId: result.workspaceId, walletId: result.campaign.walletId, limit: Limits.pageSizeMax,
                    before: cursor))
            captured += page.entries.filter { $0.kind == .capture }.reduce(0) { $0 + $1.amount.count }
            cursor = page.nextCursor
        } while cursor != nil
        return captured
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }

    static func formatDuration(_ seconds: Double) -> String {
        let total = Int(seconds)
        return "\(total / 86_400)d \(total % 86_400 / 3600)h \(total % 3600 / 60)m"
    }
}

/// The store a scenario runs on, with a manual clock starting now: a throwaway SQLite file unless a
/// database is named.
enum ScenarioStore {
    static let quietLogger: Logger = {
        var logger = Logger(label: "callcredits.simulate")
        logger.logLevel = .error
        return logger
    }()

    static func with<T>(
        database: String?, _ body: (any ServiceStore, ManualClock) async throws -> T
    ) async throws -> T {
        let clock = ManualClock(SystemClock().now())
        var options = DatabaseOptions()
        let throwaway = database == nil
        let path = database ?? NSTemporaryDirectory() + "callcredits-simulate-\(getpid())-\(UUID().uuidString).sqlite"
        options.database = path
        defer {
            if throwaway {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        }
        return try await options.withStore(clock: clock) { store in try await body(store, clock) }
    }
}
