import ArgumentParser
import CreditsCore
import CreditsSQLite
import Foundation

/// `callcredits bench campaign`: a campaign driven through the simulated carrier and the ledger as fast as
/// the store goes (a fast clock, no real waiting); attempts per second, one JSON line last.
struct BenchCampaign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign", abstract: "Attempts per second through the simulated carrier and the ledger.")

    @Option(help: "Recipients.") var recipients = 20_000
    @Option(help: "Phone numbers per recipient.") var numbers = 3
    @Option(help: "Simultaneous lines per campaign.") var lines = 1_000
    @Option(help: "Campaigns side by side, each in its own workspace (the recipients shared out).")
    var campaigns = 4
    @Option(help: "Longest step of simulated time per runner tick, in seconds.") var stepSeconds = 30.0
    @Option(help: "Seed for the carrier.") var seed: UInt64 = 7
    @Option(help: "Callbacks per call: every (ringing, in-progress, final) or final_only.")
    var callbacks: String = CarrierCallbacks.every.rawValue
    @Option(help: "SQLite file or postgres:// URL (default: a throwaway SQLite file).") var database: String?

    func run() async throws {
        guard let chosen = CarrierCallbacks(rawValue: callbacks) else {
            throw ValidationError("callbacks must be every or final_only")
        }
        guard (1...Limits.csvRowsMax).contains(recipients), (1...20).contains(numbers),
            (1...Limits.campaignLinesMax).contains(lines)
        else { throw ValidationError("recipients, numbers or lines out of range") }
        guard (1...100).contains(campaigns), stepSeconds > 0 else {
            throw ValidationError("campaigns must be 1…100 and the step positive")
        }
        var scenario = CampaignScenario(
            recipients: recipients, numbers: numbers, seed: seed, lines: lines, campaigns: campaigns)
        scenario.callbacks = chosen
        scenario.stepSeconds = stepSeconds
        let backend = database.map { $0.hasPrefix("postgres") ? "postgres" : "sqlite" } ?? "sqlite"
        let figures = try await ScenarioStore.with(database: database) { store, clock in
            let cpu = MachineCPU.sample()
            let result = try await scenario.run(store: store, clock: clock, logger: ScenarioStore.quietLogger)
            let cpuFigures = BenchFigures.cpuFigures(since: cpu)
            var attempts: [CallAttempt] = []
            for launched in result.launched { attempts += try await CampaignScenario.attempts(store, launched) }
            let dialed = attempts.filter { $0.dialedAt != nil }.count
            let completed = result.launched.allSatisfy { $0.campaign.status == .completed }
            // Checkpoints run beside the SQLite writer during the run (none on PostgreSQL).
            let checkpoints = (store as? SQLiteStore)?.walCheckpoints
            let problems = try await store.verify()
            print(
                "\(attempts.count) attempts (\(dialed) dialed) in \(BenchFigures.rounded(result.seconds)) s, "
                    + "\(result.launched.count) campaigns \(completed ? "completed" : "NOT completed"), "
                    + "verify: \(problems.isEmpty ? "clean" : "FAILED")")
            var figures: [String: any Sendable] = [
                "bench": "campaign",
                "backend": backend,
                "recipients": recipients,
                "numbers": numbers,
                "lines": lines,
                "campaigns": result.launched.count,
                "step_seconds": stepSeconds,
                "callbacks": chosen.rawValue,
                "attempts": attempts.count,
                "attempts_dialed": dialed,
                "seconds": BenchFigures.rounded(result.seconds, 3),
                "attempts_per_s": BenchFigures.rounded(Double(attempts.count) / result.seconds, 0),
                "dialed_per_s": BenchFigures.rounded(Double(dialed) / result.seconds, 0),
                "runner_ticks": result.steps,
                "tick_seconds": BenchFigures.rounded(result.tickSeconds, 3),
                "deliver_seconds": BenchFigures.rounded(result.deliverSeconds, 3),
                "completed": completed,
                "verify_clean": problems.isEmpty,
            ]
            if let checkpoints {
                figures["wal_checkpoints"] = checkpoints.checkpoints
                figures["wal_checkpoints_by_writer"] = checkpoints.byWriter
            }
            if let batches = (store as? SQLiteStore)?.groupCommitStatistics {
                // Over the whole command (setup and the final reads included): operations per group commit.
                figures["batches"] = batches.batches
                figures["mean_batch"] = BenchFigures.meanBatch(batches)
            }
            return figures.merging(cpuFigures) { first, _ in first }
        }
        try BenchFigures.printJSONLine(figures)
    }
}
