import ArgumentParser
import CreditsCore
import CreditsPostgres
import CreditsSQLite
import CreditsServer
import CreditsStore
import Foundation
import Logging

/// `callcredits bench reset`: the cycle resets of many workspaces all due at once, run by the reset scheduler's own
/// code (`CycleResetScheduler.runOnce`), on a fresh database. Each workspace has its first allotment (cycle 0) with
/// some credits spent; the clock then moves past the next cycle start, and the measured run expires what is left of
/// every cycle-0 allotment and grants cycle 1's.
struct BenchReset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset", abstract: "Time the cycle resets of many workspaces due at once; JSON line last.")

    @Option(help: "Workspaces, each with a subscription due at the same instant.") var workspaces = 100_000
    @Option(help: "SQLite file (created fresh) or postgres:// URL. Default: a new file in the current folder.")
    var database: String?
    @Option(help: "Concurrent callers while creating the workspaces.") var concurrency = 64
    @Option(help: "The target the measured run must stay under, in seconds.") var limitSeconds = 60.0

    /// Every subscription is anchored here; the zones differ, but none changes its offset before the next cycle
    /// start, so every workspace's cycle 1 starts at the same instant.
    static let anchor = Date(timeIntervalSince1970: 1_768_467_600)  // 2026-01-15T09:00:00Z
    static let zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]

    func run() async throws {
        guard (1...1_000_000).contains(workspaces), (1...1_024).contains(concurrency) else {
            throw ValidationError("workspaces must be 1…1000000 and concurrency 1…1024")
        }
        let clock = ManualClock(Self.anchor)
        let target =
            database ?? FileManager.default.currentDirectoryPath + "/callcredits-bench-reset-\(getpid()).sqlite"
        if target.hasPrefix("postgres://") || target.hasPrefix("postgresql://") {
            return try await PostgresStore.withStore(url: target, clock: clock) { store in
                try await store.migrate()
                try await measure(store, clock: clock, backend: "postgres")
            }
        }
        defer {
            if database == nil {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
            }
        }
        let store = try SQLiteStore(path: target, clock: clock)
        try await store.migrate()
        try await measure(store, clock: clock, backend: "sqlite")
    }

    private func measure(_ store: any ServiceStore, clock: ManualClock, backend: String) async throws {
        var logger = Logger(label: "callcredits.bench")
        logger.logLevel = .warning
        let scheduler = CycleResetScheduler(store: store, clock: clock, intervalSeconds: 30, logger: logger)
        _ = try await store.putPlan(
            Plan(id: "bench", name: "Bench", monthlyAllotment: 100, priceMinor: 4_900, currency: "USD"))

        let setupStart = ContinuousClock.now
        let created = try await createSubscribedWorkspaces(store)
        let setupSeconds = BenchFigures.seconds(ContinuousClock.now - setupStart)
        print("created \(created.count) subscribed workspaces in \(BenchFigures.rounded(setupSeconds))s")

        let firstStart = ContinuousClock.now
        let first = try await scheduler.runOnce()
        let firstSeconds = BenchFigures.seconds(ContinuousClock.now - firstStart)
        print("cycle 0: \(first.count) first grants in \(BenchFigures.rounded(firstSeconds))s")
        try await spendSome(store, created)

        let boundary = try require(try await store.nextCycleResetDue(), "no reset is due")
        clock.set(boundary.addingTimeInterval(1))
        let loadBefore = BenchFigures.loadAverage()
        let cpuBefore = BenchFigures.cpuSeconds()
        let resetStart = ContinuousClock.now
        let reports = try await scheduler.runOnce()
        let resetSeconds = BenchFigures.seconds(ContinuousClock.now - resetStart)
        let resetCPUSeconds = BenchFigures.cpuSeconds() - cpuBefore
        let resets = reports.filter { $0.outcome == .reset && $0.cycle.index == 1 }.count
        print("cycle 1: \(resets) resets (expire + grant) in \(BenchFigures.rounded(resetSeconds))s")
        let again = try await scheduler.runOnce()

        let verifyStart = ContinuousClock.now
        let discrepancies = try await store.verify().count
        let verifySeconds = BenchFigures.seconds(ContinuousClock.now - verifyStart)
        try BenchFigures.printJSONLine([
            "bench": "reset",
            "backend": backend,
            "workspaces": workspaces,
            "setup_s": BenchFigures.rounded(setupSeconds),
            "first_grant_s": BenchFigures.rounded(firstSeconds, 3),
            "reset_s": BenchFigures.rounded(resetSeconds, 3),
            "reset_cpu_s": BenchFigures.rounded(resetCPUSeconds, 3),
            "load_avg_before": loadBefore,
            "load_avg_after": BenchFigures.loadAverage(),
            "cpu_s": BenchFigures.rounded(BenchFigures.cpuSeconds()),
            "resets": resets,
            "resets_per_s": BenchFigures.rounded(Double(resets) / resetSeconds, 0),
            "expired_credits": reports.reduce(0) { $0 + $1.expired.count },
            "granted_credits": reports.reduce(0) { $0 + $1.granted.count },
            "second_run_resets": again.filter { $0.outcome == .reset }.count,
            "verify_s": BenchFigures.rounded(verifySeconds),
            "verify_discrepancies": discrepancies,
            "limit_s": limitSeconds,
            "within_limit": resets == workspaces && resetSeconds < limitSeconds,
        ])
        if resets != workspaces || discrepancies > 0 || !again.filter({ $0.outcome == .reset }).isEmpty {
            throw ExitCode(1)
        }
    }

    /// `workspaces` workspaces in rotating time zones, each subscribed to the bench plan at `anchor`.
    private func createSubscribedWorkspaces(_ store: any ServiceStore) async throws -> [CreatedWorkspace] {
        let key = APIKeySecret.generate(name: "bench").key
        return try await withThrowingTaskGroup(of: [CreatedWorkspace].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var made: [CreatedWorkspace] = []
                    for index in stride(from: worker, to: workspaces, by: concurrency) {
                        var firstKey = key
                        firstKey.hash = APIKeySecret.hash("bench-\(index)")
                        let created = try await store.createWorkspace(
                            NewWorkspace(
                                name: "bench \(index)", timeZone: Self.zones[index % Self.zones.count],
                                firstKey: firstKey))
                        _ = try await store.createSubscription(
                            NewSubscription(workspaceId: created.workspace.id, planId: "bench", anchor: Self.anchor))
                        made.append(created)
                    }
                    return made
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// Every tenth workspace spends 30 credits and keeps one hold open across the boundary, so the reset expires
    /// partly used allotments and leaves held credits to expire with their lot.
    private func spendSome(_ store: any ServiceStore, _ created: [CreatedWorkspace]) async throws {
        let chosen = stride(from: 0, to: created.count, by: 10).map { created[$0] }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    for index in stride(from: worker, to: chosen.count, by: concurrency) {
                        let workspace = chosen[index]
                        _ = try await store.credit(
                            CreditCommand(
                                workspaceId: workspace.workspace.id, walletId: workspace.pool.id, amount: -30,
                                source: .adjustment, reason: "bench spend", idempotencyKey: "bench-spend"))
                        _ = try await store.hold(
                            HoldCommand(
                                workspaceId: workspace.workspace.id, walletId: workspace.pool.id,
                                attemptId: "bench-open", timeoutSeconds: 86_400))
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

extension BenchFigures {
    static func seconds(_ duration: Duration) -> Double { milliseconds(duration) / 1000 }
}

/// Unwraps an optional or stops the command with `message`.
private func require<T>(_ value: T?, _ message: String) throws -> T {
    guard let value else { throw ValidationError(message) }
    return value
}
