import CreditsCore
import CreditsStore
import Logging
import ServiceLifecycle

/// Background service: releases holds whose timeout passed (marking them and their attempts for
/// reconciliation), aligns attempts whose hold ended outside the attempt routes, and expires lots whose
/// time passed, every `intervalSeconds`, until graceful shutdown.
public struct HoldSweeper: Service {
    let store: any ServiceStore
    let intervalSeconds: Double
    let logger: Logger
    let metrics: ServerMetrics?

    /// Creates a sweeper over `store`; `metrics` counts what it does when given.
    public init(
        store: any ServiceStore, intervalSeconds: Double, logger: Logger, metrics: ServerMetrics? = nil
    ) {
        precondition(intervalSeconds > 0, "the sweep interval must be positive")
        self.store = store
        self.intervalSeconds = intervalSeconds
        self.logger = logger
        self.metrics = metrics
    }

    /// Sweeps every interval until graceful shutdown or cancellation. A failed sweep is logged and
    /// retried at the next interval: the work is idempotent and nothing is lost by waiting.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .seconds(intervalSeconds))
                } catch {
                    return  // cancelled: graceful shutdown
                }
                do {
                    _ = try await sweepOnce()
                } catch {
                    logger.error("hold sweep failed", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        }
        logger.debug("hold sweeper stopped")
    }

    /// Releases timed-out holds and expires lots, a batch at a time while batches come back full.
    public func sweepOnce() async throws -> (released: Int, expired: Int) {
        var released = 0
        while true {
            let batch = try await store.releaseTimedOutHolds(limit: Limits.sweepBatchMax)
            released += batch.count
            for hold in batch {
                logger.warning(
                    "hold released by timeout; attempt needs reconciliation",
                    metadata: [
                        "workspace": "\(hold.workspaceId)", "attempt": "\(hold.attemptId)", "hold": "\(hold.id)",
                    ])
            }
            if batch.count < Limits.sweepBatchMax || Task.isCancelled { break }
        }
        // Attempts whose hold the ledger routes ended without them follow here (the sweeper's own timeout
        // releases already moved their attempts in the same transaction).
        let reconciled = try await store.reconcileAttempts(limit: Limits.sweepBatchMax)
        for attempt in reconciled {
            logger.warning(
                "attempt aligned with its hold; needs reconciliation",
                metadata: ["workspace": "\(attempt.workspaceId)", "attempt": "\(attempt.id)"])
        }
        var expired = 0
        while true {
            let count = try await store.expireLots(limit: Limits.sweepBatchMax)
            expired += count
            if count < Limits.sweepBatchMax || Task.isCancelled { break }
        }
        if released > 0 || expired > 0 {
            logger.info("hold sweep", metadata: ["releasedHolds": "\(released)", "expiredLots": "\(expired)"])
        }
        metrics?.recordSweep(released: released, expired: expired)
        return (released, expired)
    }
}
