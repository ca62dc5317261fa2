import Logging
import NIOCore
import PostgresNIO

/// A statement sent as a named prepared statement: PostgresNIO parses it once per connection (and again on a new
/// connection, after one was dropped); the server then reuses its plan. For the few statements that run on every
/// batch, whose text does not change: `sql` uses `$n` parameters, `bindings` holds their values in that order.
protocol PreparedBatchStatement: PostgresPreparedStatement where Row == PostgresRow {
    var bindings: PostgresBindings { get }
}

extension PreparedBatchStatement {
    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension PostgresStore {
    /// Runs a prepared statement and collects its rows, with the same guard as `rows(_:on:)`.
    ///
    /// PostgresNIO's prepared-statement path writes the statement to the channel inside an async call, so the
    /// statement runs in a task of its own, started with `Task.immediate`: it runs on this thread up to its first
    /// suspension, which comes after PostgresNIO wrote the statement. The caller waits for whichever comes first: the
    /// statement's result, or the connection found closed by a check queued on the connection's event loop after
    /// that write (as in `rows`) and repeated every `closedCheckInterval` until the result arrives (in case the task
    /// was suspended before the write). A closed connection stays closed, so a statement sent on one (whose result
    /// would never arrive) fails as a lost connection; a connection that closes while its statement runs fails it
    /// either way.
    func prepared<Statement: PreparedBatchStatement>(
        _ statement: Statement, on connection: PostgresConnection
    ) async throws -> [PostgresRow] {
        let logger = logger
        return try await withCheckedThrowingContinuation { (waiting: CheckedContinuation<[PostgresRow], any Error>) in
            let once = Once()
            let loop = connection.eventLoop
            let watch = loop.scheduleRepeatedTask(
                initialDelay: Self.closedCheckInterval, delay: Self.closedCheckInterval
            ) { watch in
                if connection.isClosed {
                    watch.cancel()
                    if once.claim() { waiting.resume(throwing: ConnectionDropped()) }
                }
            }
            Task.immediate {
                do {
                    var rows: [PostgresRow] = []
                    for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
                    watch.cancel()
                    if once.claim() { waiting.resume(returning: rows) }
                } catch {
                    watch.cancel()
                    if once.claim() { waiting.resume(throwing: error) }
                }
            }
            loop.execute {
                if connection.isClosed, once.claim() { waiting.resume(throwing: ConnectionDropped()) }
            }
        }
    }

    /// How often a prepared statement waiting for its result checks that its connection is still open.
    static let closedCheckInterval = TimeAmount.milliseconds(50)
}
