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
    /// PostgresNIO's prepared-statement path writes the statement to the channel inside an async call, so no check
    /// can be queued behind that write as `rows` does. The statement runs in a task of its own instead, and the
    /// caller waits for whichever comes first: its result, or the connection found closed by a check that runs on
    /// the connection's event loop at once and then every `closedCheckInterval` until the result arrives. A closed
    /// connection stays closed, so a statement sent on one (whose result would never arrive) fails as a lost
    /// connection within one interval; a connection that closes while its statement runs fails it either way.
    func prepared<Statement: PreparedBatchStatement>(
        _ statement: Statement, on connection: PostgresConnection
    ) async throws -> [PostgresRow] {
        let loop = connection.eventLoop
        let promise = loop.makePromise(of: [PostgresRow].self)
        let once = Once()
        let dropped: @Sendable () -> Void = {
            if connection.isClosed, once.claim() { promise.fail(ConnectionDropped()) }
        }
        let watch = loop.scheduleRepeatedTask(initialDelay: .zero, delay: Self.closedCheckInterval) { _ in dropped() }
        promise.futureResult.whenComplete { _ in watch.cancel() }
        let logger = logger
        Task {
            do {
                var rows: [PostgresRow] = []
                for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
                if once.claim() { promise.succeed(rows) }
            } catch {
                if once.claim() { promise.fail(error) }
            }
        }
        return try await promise.futureResult.get()
    }

    /// How often a prepared statement waiting for its result checks that its connection is still open.
    static let closedCheckInterval = TimeAmount.milliseconds(20)
}
