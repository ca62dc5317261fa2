import CreditsCore
import Logging
import PostgresNIO
import Synchronization

/// Constraints whose violation means "another process did the same thing first": the loser retries, re-reads
/// the winner's row and replays its result (or reports a conflict when the content differs).
let raceConstraints: Set<String> = [
    "holds_attempt_key", "idempotency_keys_pkey", "call_attempts_pkey", "attempt_events_pkey",
    "notification_events_key", "wallet_alerts_pkey", "notification_settings_pkey",
]

extension PostgresStore {
    /// Most attempts of one transaction before the store gives up with `unavailable`.
    static let transactionAttemptsMax = 5

    /// Whether repeating an operation after an unknown commit outcome is harmless.
    enum Repeatable {
        /// Keyed by an idempotency key, an attempt id or a state check: running it twice has the effect of once.
        case idempotent
        /// Creates something new each time (a workspace, an API key): retried only when it surely did not commit.
        case notIdempotent
    }

    /// Runs `body` in one READ COMMITTED transaction and retries it a bounded number of times on serialization
    /// failures, deadlocks, lost races on `raceConstraints` and dropped connections.
    ///
    /// Retrying is safe because every ledger write is idempotent by its key: a credit by its idempotency key,
    /// a hold by its attempt id, a capture/release by the hold's state, a sweep by re-checking the row it locked.
    /// A retry starts a new transaction that re-reads everything, so it either finds the first try's result
    /// (replayed) or does the work once. Only a dropped connection during COMMIT leaves the outcome unknown;
    /// `.notIdempotent` operations are not retried then.
    func transaction<Result: Sendable>(
        _ operation: String, _ repeatable: Repeatable = .idempotent,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            do {
                // BEGIN, body, COMMIT; ROLLBACK when body throws, unless the connection is already gone
                // (PostgresClient.withTransaction would wait for a ROLLBACK on a terminated connection).
                return try await client.withConnection { connection in
                    try await execute("BEGIN", on: connection)
                    let value: Result
                    do {
                        value = try await body(connection)
                    } catch {
                        if !connection.isClosed { try? await execute("ROLLBACK", on: connection) }
                        throw error
                    }
                    do {
                        try await execute("COMMIT", on: connection)
                    } catch {
                        throw CommitFailed(cause: error)
                    }
                    return value
                }
            } catch {
                let (cause, duringCommit) = Self.unwrap(error)
                let kind = Self.classify(cause)
                let retry: Bool
                switch kind {
                case .final: throw cause
                case .permanent: throw wrap(cause, operation: operation)
                case .rolledBack: retry = true
                case .connectionLost: retry = !duringCommit || repeatable == .idempotent
                }
                guard retry else { throw wrap(cause, operation: operation) }
                guard attempt < Self.transactionAttemptsMax else {
                    logger.debug(
                        "transaction gave up", metadata: ["operation": "\(operation)", "attempt": "\(attempt)"])
                    throw PostgresStoreError(.unavailable, operation: operation, underlying: cause)
                }
                logger.debug(
                    "retrying transaction", metadata: ["operation": "\(operation)", "attempt": "\(attempt)"])
                try await Self.backoff(attempt: attempt)
                attempt += 1
            }
        }
    }

    /// COMMIT failed: whether the transaction committed is unknown when the connection broke.
    struct CommitFailed: Error {
        var cause: any Error
    }

    /// Runs reads outside a transaction, retrying dropped connections.
    func read<Result: Sendable>(
        _ operation: String, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await client.withConnection { connection in try await body(connection) }
            } catch {
                switch Self.classify(error) {
                case .final: throw error
                case .permanent: throw wrap(error, operation: operation)
                case .rolledBack, .connectionLost:
                    guard attempt < Self.transactionAttemptsMax else {
                        logger.debug("read gave up", metadata: ["operation": "\(operation)", "attempt": "\(attempt)"])
                        throw PostgresStoreError(.unavailable, operation: operation, underlying: error)
                    }
                    try await Self.backoff(attempt: attempt)
                    attempt += 1
                }
            }
        }
    }

    /// Runs one statement and collects its rows (also surfacing errors that arrive with the rows).
    ///
    /// PostgresNIO 1.33.2 writes a query to its channel without a write promise: sent on a connection that the
    /// server has just terminated (failover, restart, `pg_terminate_backend`), the query is dropped and its
    /// result never arrives, so the caller would wait forever. The check below runs on the connection's event
    /// loop after that write, so a dropped query fails as a lost connection (and is retried) instead.
    func rows(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRow] {
        let promise = connection.eventLoop.makePromise(of: [PostgresRow].self)
        let once = Once()
        connection.query(query, logger: logger).whenComplete { result in
            if once.claim() { promise.completeWith(result.map(\.rows)) }
        }
        connection.eventLoop.execute {
            if connection.isClosed, once.claim() { promise.fail(ConnectionDropped()) }
        }
        return try await promise.futureResult.get()
    }

    /// The connection was closed before a statement's result arrived; nothing is known about the statement.
    struct ConnectionDropped: Error {}

    /// Lets exactly one of two racing callbacks complete a promise.
    final class Once: Sendable {
        private let claimed = Mutex(false)

        /// True for the first caller only.
        func claim() -> Bool {
            claimed.withLock { done in
                defer { done = true }
                return !done
            }
        }
    }

    /// Runs one statement whose rows do not matter.
    func execute(_ query: PostgresQuery, on connection: PostgresConnection) async throws {
        _ = try await rows(query, on: connection)
    }

    // MARK: Error classification

    enum Failure {
        /// A business refusal, our own error, or cancellation: passed through unchanged.
        case final
        /// Retrying cannot help.
        case permanent
        /// The server rolled the transaction back (serialization failure, deadlock, lost race).
        case rolledBack
        /// The connection broke; the transaction did not commit unless the break came during COMMIT.
        case connectionLost
    }

    static func unwrap(_ error: any Error) -> (cause: any Error, duringCommit: Bool) {
        if let failed = error as? CommitFailed { return (failed.cause, true) }
        return (error, false)
    }

    static func classify(_ error: any Error) -> Failure {
        if error is any BusinessRefusal || error is PostgresStoreError || error is CancellationError { return .final }
        if error is ConnectionDropped { return .connectionLost }
        guard let psql = error as? PSQLError else { return .permanent }
        if psql.code == .clientClosedConnection, let underlying = psql.underlying {
            // The pool noticed a broken connection only when the next query was sent on it: nothing ran.
            return classify(underlying) == .permanent ? .connectionLost : classify(underlying)
        }
        switch psql.code {
        case .server:
            let state = psql.serverInfo?[.sqlState] ?? ""
            switch state {
            case "40001", "40P01": return .rolledBack  // serialization_failure, deadlock_detected
            case "23505" where raceConstraints.contains(psql.serverInfo?[.constraintName] ?? ""): return .rolledBack
            case "57P01", "57P02", "57P03": return .connectionLost  // admin/crash shutdown, cannot connect now
            default: return .permanent
            }
        case .serverClosedConnection, .connectionError, .uncleanShutdown: return .connectionLost
        default: return .permanent
        }
    }

    func wrap(_ error: any Error, operation: String) -> PostgresStoreError {
        let wrapped = PostgresStoreError(.databaseError, operation: operation, underlying: error)
        logger.error("postgres store failure", metadata: ["error": "\(wrapped.logDescription)"])
        return wrapped
    }

    /// 10, 20, 40, 80 ms plus up to as much again at random, so racing processes fall out of step.
    static func backoff(attempt: Int) async throws {
        let baseMs = 10 << min(attempt - 1, 4)
        try await Task.sleep(for: .milliseconds(baseMs + Int.random(in: 0...baseMs)))
    }
}
