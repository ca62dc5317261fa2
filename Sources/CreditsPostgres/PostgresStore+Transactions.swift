import CreditsCore
import Logging
import PostgresNIO

/// Constraints whose violation means "another process did the same thing first": the loser retries, re-reads
/// the winner's row and replays its result (or reports a conflict when the content differs).
let raceConstraints: Set<String> = ["holds_attempt_key", "idempotency_keys_pkey"]

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
                return try await client.withTransaction(logger: logger) { connection in
                    try await body(connection)
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
                    throw PostgresStoreError(.unavailable, operation: operation, underlying: cause)
                }
                logger.debug(
                    "retrying transaction", metadata: ["operation": "\(operation)", "attempt": "\(attempt)"])
                try await Self.backoff(attempt: attempt)
                attempt += 1
            }
        }
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
                        throw PostgresStoreError(.unavailable, operation: operation, underlying: error)
                    }
                    try await Self.backoff(attempt: attempt)
                    attempt += 1
                }
            }
        }
    }

    /// Runs one statement and collects its rows (also surfacing errors that arrive with the rows).
    func rows(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRow] {
        try await connection.query(query, logger: logger).collect()
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
        guard let transaction = error as? PostgresTransactionError else { return (error, false) }
        if let cause = transaction.closureError { return (cause, false) }
        if let cause = transaction.beginError { return (cause, false) }
        if let cause = transaction.commitError { return (cause, true) }
        return (error, false)
    }

    static func classify(_ error: any Error) -> Failure {
        if error is LedgerRefusal || error is PostgresStoreError || error is CancellationError { return .final }
        guard let psql = error as? PSQLError else { return .permanent }
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
