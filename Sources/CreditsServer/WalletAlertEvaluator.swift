import CreditsCore
import CreditsStore
import Logging
import ServiceLifecycle
import Synchronization

/// Wallets whose credits changed since the alert evaluator last looked. The HTTP handlers mark a wallet
/// after a hold, capture, release or grant: one set insert under a lock, no I/O on the ledger's path.
public final class WalletWatch: Sendable {
    private let marked = Mutex(Set<WalletRef>())

    public init() {}

    /// Asks for the wallet to be evaluated at the next pass.
    public func mark(workspaceId: WorkspaceID, walletId: WalletID) {
        _ = marked.withLock { $0.insert(WalletRef(workspaceId: workspaceId, walletId: walletId)) }
    }

    /// The marked wallets, forgetting them.
    func drain() -> Set<WalletRef> {
        marked.withLock { set in
            defer { set.removeAll() }
            return set
        }
    }
}

/// Background service that detects low balance, empty wallets and short runways.
///
/// Detection runs off the ledger's hot path: every `intervalSeconds`, the evaluator looks at the wallets
/// that are dialing (they have an open hold — this also covers holds placed by other services straight
/// on the store) and the wallets the HTTP layer marked, and asks the store to evaluate each one
/// (`evaluateWalletAlerts`), which records the alert states and emits the events in one transaction.
/// A crossing is therefore noticed within one interval; an alert fires once per crossing
/// (`WalletAlerts`), also with several evaluators on one PostgreSQL database.
public struct WalletAlertEvaluator: Service {
    let store: any NotificationStore
    let watch: WalletWatch
    let intervalSeconds: Double
    let logger: Logger
    let metrics: ServerMetrics?

    /// Most dialing wallets evaluated in one pass.
    public static let walletsPerPassMax = 10_000

    public init(
        store: any NotificationStore, watch: WalletWatch, intervalSeconds: Double, logger: Logger,
        metrics: ServerMetrics? = nil
    ) {
        precondition(intervalSeconds > 0, "the evaluation interval must be positive")
        self.store = store
        self.watch = watch
        self.intervalSeconds = intervalSeconds
        self.logger = logger
        self.metrics = metrics
    }

    /// Evaluates every interval until graceful shutdown. A failed pass is logged; the next one looks again.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .seconds(intervalSeconds))
                } catch {
                    return
                }
                do {
                    _ = try await evaluateOnce()
                } catch {
                    logger.error("wallet alert pass failed", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        }
        logger.debug("wallet alert evaluator stopped")
    }

    /// One pass over the dialing and marked wallets; returns the events it emitted.
    @discardableResult
    public func evaluateOnce() async throws -> [NotificationEvent] {
        var wallets = watch.drain()
        wallets.formUnion(try await store.walletsWithOpenHolds(limit: Self.walletsPerPassMax))
        var emitted: [NotificationEvent] = []
        for wallet in wallets.sorted(by: { ($0.workspaceId, $0.walletId) < ($1.workspaceId, $1.walletId) }) {
            if Task.isCancelled { break }
            do {
                let results = try await store.evaluateWalletAlerts(
                    workspaceId: wallet.workspaceId, walletId: wallet.walletId)
                for result in results where result.created {
                    emitted.append(result.event)
                    metrics?.recordNotification(result.event.type)
                    logger.info(
                        "wallet alert",
                        metadata: [
                            "workspace": "\(wallet.workspaceId)", "wallet": "\(wallet.walletId)",
                            "type": "\(result.event.type.rawValue)", "deliveries": "\(result.deliveries)",
                        ])
                }
            } catch let refusal as LedgerRefusal {
                // The wallet went away (or never existed): nothing to evaluate.
                logger.debug(
                    "wallet alert skipped", metadata: ["wallet": "\(wallet.walletId)", "refusal": "\(refusal)"])
            } catch {
                logger.error(
                    "wallet alert evaluation failed",
                    metadata: ["wallet": "\(wallet.walletId)", "error": "\(String(reflecting: error))"])
            }
        }
        return emitted
    }
}
