import CreditsCore
import CreditsStore
import Foundation
import Logging
import ServiceLifecycle

/// Background service: resets every subscription whose cycle has started (expire the past allotment, grant the new
/// one), then sleeps until the next cycle start is due (at most `intervalSeconds`), until graceful shutdown. A reset
/// that grants a cycle enqueues its `cycle.reset` notification in its own transaction (docs/notifications.md).
///
/// Several instances (processes) may run at once: the store resets each workspace and cycle exactly once. After a
/// downtime across several boundaries the first run catches up to the current cycle only (docs/cycles.md).
public struct CycleResetScheduler: Service {
    let store: any ServiceStore
    let clock: any CreditsClock
    let intervalSeconds: Double
    let logger: Logger
    let metrics: ServerMetrics?

    /// Creates a scheduler over `store`; `clock` decides how long to sleep until the next reset is due.
    public init(
        store: any ServiceStore, clock: any CreditsClock, intervalSeconds: Double, logger: Logger,
        metrics: ServerMetrics? = nil
    ) {
        precondition(intervalSeconds > 0, "the reset interval must be positive")
        self.store = store
        self.clock = clock
        self.intervalSeconds = intervalSeconds
        self.logger = logger
        self.metrics = metrics
    }

    /// Runs resets until graceful shutdown or cancellation. A failed run is logged and retried after the interval:
    /// resets are idempotent and nothing is lost by waiting.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var delay = intervalSeconds
                do {
                    _ = try await runOnce()
                    delay = try await secondsUntilNextDue()
                } catch {
                    logger.error("cycle reset run failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                do {
                    try await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
                } catch {
                    return  // cancelled: graceful shutdown
                }
            }
        }
        logger.debug("cycle reset scheduler stopped")
    }

    /// Resets every due subscription, a batch at a time while batches come back full; returns the reports.
    public func runOnce() async throws -> [CycleResetReport] {
        var reports: [CycleResetReport] = []
        while true {
            let batch = try await store.resetDueCycles(limit: Limits.resetBatchMax)
            reports += batch
            for report in batch {
                if let failure = report.failure {
                    logger.error(
                        "cycle reset failed; retrying later",
                        metadata: ["workspace": "\(report.workspaceId)", "error": "\(failure)"])
                }
            }
            if batch.count < Limits.resetBatchMax || Task.isCancelled { break }
        }
        let resets = reports.filter { $0.outcome == .reset }.count
        if !reports.isEmpty {
            logger.info(
                "cycle resets",
                metadata: [
                    "subscriptions": "\(reports.count)", "reset": "\(resets)",
                    "failed": "\(reports.filter { $0.failure != nil }.count)",
                ])
        }
        metrics?.recordResets(reports)
        return reports
    }

    /// How long to sleep: until the next reset is due, between 50 ms and the interval.
    func secondsUntilNextDue() async throws -> Double {
        guard let next = try await store.nextCycleResetDue() else { return intervalSeconds }
        return min(intervalSeconds, max(0.05, next.timeIntervalSince(clock.now())))
    }
}
