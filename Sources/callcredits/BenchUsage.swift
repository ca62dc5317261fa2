import ArgumentParser
import CreditsCore
import CreditsPostgres
import CreditsSQLite
import CreditsStore
import Foundation

/// `callcredits bench usage`: the usage breakdown (`GET /v1/usage`, `store.usage`) timed on a large history.
///
/// The history is built fast, not by ending millions of attempts through the store: the bench draws `attempts`
/// ended attempts (wallet, campaign, local end day, outcome, number position; seeded), sums them exactly as the
/// store's rollups would have (`UsageRollupRow.increment`: one attempt, the outcome's credits, a refund for a
/// held credit given back; `usage_positions` for dialed attempts) and writes the sums straight into the rollup
/// tables (`loadUsageHistory`). The attempts themselves are not written: the breakdown never reads them.
struct BenchUsage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Time the usage breakdown on a large history; JSON line last.")

    @Option(help: "Ended attempts in the history.") var attempts = 10_000_000
    @Option(help: "Days the history covers, ending on --last-day.") var days = 90
    @Option(help: "Wallets: the pool and members.") var wallets = 6
    @Option(help: "Campaigns, each drawing from one wallet for 5–30 days.") var campaigns = 200
    @Option(help: "Breakdowns timed (random periods and wallets).") var queries = 2_000
    @Option(help: "Seed for the history and the queries.") var seed: UInt64 = 7
    @Option(help: "SQLite file (created fresh) or postgres:// URL. Default: a new file in the current folder.")
    var database: String?
    @Option(help: "The p95 the breakdown must stay under, in ms.") var limitMs = 50.0

    /// The last day of the history.
    static let lastDay = CalendarDay(year: 2026, month: 11, day: 30)!
    static let timeZone = "America/New_York"

    func run() async throws {
        guard (1...1_000_000_000).contains(attempts), (1...Limits.usageDaysMax).contains(days),
            (1...100).contains(wallets), (1...100_000).contains(campaigns), (1...1_000_000).contains(queries)
        else { throw ValidationError("attempts, days, wallets, campaigns or queries out of range") }
        let target =
            database ?? FileManager.default.currentDirectoryPath + "/callcredits-bench-usage-\(getpid()).sqlite"
        if target.hasPrefix("postgres://") || target.hasPrefix("postgresql://") {
            return try await PostgresStore.withStore(url: target) { store in
                try await store.migrate()
                try await measure(store, backend: "postgres") { try await store.loadUsageHistory($0) }
            }
        }
        defer {
            if database == nil {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
            }
        }
        let store = try SQLiteStore(path: target)
        try await store.migrate()
        try await measure(store, backend: "sqlite") { try await store.loadUsageHistory($0) }
    }

    private func measure(
        _ store: any ServiceStore, backend: String, load: (UsageHistory) async throws -> Void
    ) async throws {
        let buildStart = ContinuousClock.now
        let created = try await store.createWorkspace(
            NewWorkspace(
                name: "bench usage", timeZone: Self.timeZone, firstKey: APIKeySecret.generate(name: "bench").key))
        let workspaceId = created.workspace.id
        let members = (1..<wallets).map {
            Wallet(
                id: "wal_bench_member_\($0)", workspaceId: workspaceId, kind: .member, memberId: "member-\($0)",
                createdAt: Date())
        }
        let walletIds = [created.pool.id] + members.map(\.id)
        let generated = generate(workspaceId: workspaceId, walletIds: walletIds, members: members)
        let generateSeconds = BenchFigures.seconds(ContinuousClock.now - buildStart)
        let loadStart = ContinuousClock.now
        try await load(generated.history)
        let loadSeconds = BenchFigures.seconds(ContinuousClock.now - loadStart)
        let buildSeconds = BenchFigures.seconds(ContinuousClock.now - buildStart)
        print(
            "history: \(attempts) attempts → \(generated.history.rollup.count) rollup rows, "
                + "\(generated.history.positions.count) position rows in \(BenchFigures.rounded(buildSeconds)) s "
                + "(generate \(BenchFigures.rounded(generateSeconds)) s, load \(BenchFigures.rounded(loadSeconds)) s)")

        // The whole history, whole workspace: every attempt and credit must come back.
        let firstDay = Self.lastDay.adding(days: -(days - 1))
        let whole = try await store.usage(UsageQuery(workspaceId: workspaceId, from: firstDay, to: Self.lastDay))
        guard whole.totals.attempts == Int64(attempts), whole.totals.credits == generated.credits,
            whole.totals.refundedCredits == generated.refunds
        else {
            throw ValidationError(
                "the breakdown of the whole history disagrees with the history: \(whole.totals) vs "
                    + "\(attempts) attempts, \(generated.credits) credits, \(generated.refunds) refunds")
        }

        var random = BenchRandom(seed: seed &+ 1)
        var samples: [Double] = []
        samples.reserveCapacity(queries)
        var rowsSeen = 0
        for _ in 0..<queries {
            let length = Int(random.next(below: UInt64(days))) + 1
            let start = Int(random.next(below: UInt64(days - length + 1)))
            let from = firstDay.adding(days: start)
            let walletId = random.next(below: 2) == 0 ? nil : walletIds[Int(random.next(below: UInt64(wallets)))]
            let query = UsageQuery(
                workspaceId: workspaceId, walletId: walletId, from: from, to: from.adding(days: length - 1))
            let began = ContinuousClock.now
            let report = try await store.usage(query)
            samples.append(BenchFigures.milliseconds(ContinuousClock.now - began))
            rowsSeen += report.byDay.count
        }
        var wholeSamples: [Double] = []
        for _ in 0..<min(queries, 100) {
            let began = ContinuousClock.now
            _ = try await store.usage(UsageQuery(workspaceId: workspaceId, from: firstDay, to: Self.lastDay))
            wholeSamples.append(BenchFigures.milliseconds(ContinuousClock.now - began))
        }
        let p95 = BenchFigures.quantile(samples, 0.95)
        try BenchFigures.printJSONLine([
            "bench": "usage",
            "backend": backend,
            "attempts": attempts,
            "days": days,
            "wallets": wallets,
            "campaigns": campaigns,
            "rollup_rows": generated.history.rollup.count,
            "position_rows": generated.history.positions.count,
            "build_s": BenchFigures.rounded(buildSeconds),
            "generate_s": BenchFigures.rounded(generateSeconds),
            "load_s": BenchFigures.rounded(loadSeconds),
            "queries": queries,
            "p50_ms": BenchFigures.rounded(BenchFigures.quantile(samples, 0.5), 3),
            "p95_ms": BenchFigures.rounded(p95, 3),
            "p99_ms": BenchFigures.rounded(BenchFigures.quantile(samples, 0.99), 3),
            "max_ms": BenchFigures.rounded(samples.max() ?? 0, 3),
            "whole_period_p95_ms": BenchFigures.rounded(BenchFigures.quantile(wholeSamples, 0.95), 3),
            "limit_ms": limitMs,
            "within_limit": p95 < limitMs,
            "cpu_s": BenchFigures.rounded(BenchFigures.cpuSeconds()),
            "load_avg": BenchFigures.loadAverage(),
        ])
    }

    /// A campaign or the single calls of one wallet, active over a run of days.
    private struct Source {
        var walletId: WalletID
        var campaignId: CampaignID?
        var firstDay: Int
        var dayCount: Int
    }

    /// Draws the attempts and sums them into rollup rows the way the store adds each ended attempt.
    private func generate(workspaceId: WorkspaceID, walletIds: [WalletID], members: [Wallet])
        -> (history: UsageHistory, credits: Int64, refunds: Int64)
    {
        var random = BenchRandom(seed: seed)
        // Single calls: one source per wallet over the whole history; then the campaigns.
        var sources = walletIds.map { Source(walletId: $0, campaignId: nil, firstDay: 0, dayCount: days) }
        for index in 0..<campaigns {
            let length = min(days, 5 + Int(random.next(below: 26)))
            sources.append(
                Source(
                    walletId: walletIds[index % walletIds.count],
                    campaignId: String(format: "cmp_bench_%05d", index),
                    firstDay: Int(random.next(below: UInt64(days - length + 1))), dayCount: length))
        }
        // Outcomes per 1,000 attempts, in CallOutcome.allCases order.
        let outcomes = CallOutcome.allCases
        let weights = [250, 50, 150, 250, 150, 50, 100]
        var outcomeOf: [Int] = []
        for (index, weight) in weights.enumerated() { outcomeOf += Array(repeating: index, count: weight) }
        let outcomeCount = outcomes.count
        let positionsMax = 3
        var counts = [Int64](repeating: 0, count: sources.count * days * outcomeCount)
        var refunded = [Int64](repeating: 0, count: counts.count)
        var positionCounts = [Int64](repeating: 0, count: days * positionsMax * outcomeCount)
        let cancelled = outcomes.firstIndex(of: .cancelled)!
        let failed = outcomes.firstIndex(of: .failed)!
        let dnc = outcomes.firstIndex(of: .dnc)!
        for _ in 0..<attempts {
            let draw = random.next()
            // 5% single calls, the rest spread over the campaigns.
            let sourceIndex =
                draw % 100 < 5
                ? Int((draw >> 8) % UInt64(walletIds.count))
                : walletIds.count + Int((draw >> 8) % UInt64(campaigns))
            let source = sources[sourceIndex]
            let day = source.firstDay + Int((draw >> 24) % UInt64(source.dayCount))
            let outcome = outcomeOf[Int((draw >> 40) % 1_000)]
            let index = (sourceIndex * days + day) * outcomeCount + outcome
            counts[index] += 1
            // A failed attempt was dialed (its hold released); a cancelled one was dialed half the time; a DNC
            // number is never dialed.
            let dialed = outcome != dnc && (outcome != cancelled || (draw >> 60) & 1 == 1)
            if dialed && (outcome == failed || outcome == cancelled) { refunded[index] += 1 }
            if dialed && source.campaignId != nil {
                let position = Int((draw >> 52) % UInt64(positionsMax))
                positionCounts[(day * positionsMax + position) * outcomeCount + outcome] += 1
            }
        }
        let calendar = (0..<days).map { Self.lastDay.adding(days: $0 - (days - 1)) }
        var rollup: [UsageRollupRow] = []
        var credits: Int64 = 0
        var refunds: Int64 = 0
        for (sourceIndex, source) in sources.enumerated() {
            for day in 0..<days {
                for (outcomeIndex, outcome) in outcomes.enumerated() {
                    let index = (sourceIndex * days + day) * outcomeCount + outcomeIndex
                    guard counts[index] > 0 else { continue }
                    let row = UsageRollupRow(
                        day: calendar[day], walletId: source.walletId, campaignId: source.campaignId,
                        outcome: outcome, attempts: counts[index], credits: counts[index] * outcome.credits.count,
                        refunds: refunded[index], uncollected: 0)
                    credits += row.credits
                    refunds += row.refunds
                    rollup.append(row)
                }
            }
        }
        var positions: [UsageHistory.PositionRow] = []
        for day in 0..<days {
            for position in 0..<positionsMax {
                for (outcomeIndex, outcome) in outcomes.enumerated() {
                    let count = positionCounts[(day * positionsMax + position) * outcomeCount + outcomeIndex]
                    guard count > 0 else { continue }
                    positions.append(
                        UsageHistory.PositionRow(
                            day: calendar[day], position: position + 1, outcome: outcome, attempts: count))
                }
            }
        }
        return (
            UsageHistory(workspaceId: workspaceId, memberWallets: members, rollup: rollup, positions: positions),
            credits, refunds
        )
    }
}

/// A small, fast, seeded generator (SplitMix64).
struct BenchRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    mutating func next(below bound: UInt64) -> UInt64 { next() % bound }
}

extension BenchFigures {
    /// CPU seconds this process has used (user + system).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// The 1-, 5- and 15-minute load averages (/proc/loadavg), or nothing where there is none.
    static func loadAverage() -> [Double] {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
        return text.split(separator: " ").prefix(3).compactMap { Double($0) }
    }
}
