/// An infrastructure failure of the PostgreSQL store (not a business refusal: those are `LedgerRefusal`).
///
/// Its `description` names the operation and a stable code only; the cause (which may contain SQL, server
/// messages or connection details) is kept in `underlying` for logs and is never meant for a client.
public struct PostgresStoreError: Error, CustomStringConvertible {
    /// What went wrong, stable enough to alert on.
    public enum Code: String, Sendable {
        /// The database URL could not be read.
        case invalidURL = "invalid_url"
        /// The database could not be reached or kept failing transiently after the bounded retries.
        case unavailable
        /// The database refused a statement for a reason retrying cannot fix.
        case databaseError = "database_error"
        /// A stored row does not decode into a ledger value (a bug or a hand-edited row).
        case corruptRow = "corrupt_row"
    }

    public var code: Code
    /// The store operation that failed, such as `hold` or `migrate`.
    public var operation: String
    /// The cause, for logs only.
    public var underlying: (any Error)?

    public init(_ code: Code, operation: String, underlying: (any Error)? = nil) {
        self.code = code
        self.operation = operation
        self.underlying = underlying
    }

    public var description: String { "postgres store \(code.rawValue) during \(operation)" }

    /// The cause in full, for a log line (may contain SQL; never send it to a client).
    public var logDescription: String {
        guard let underlying else { return description }
        return description + ": " + String(reflecting: underlying)
    }
}
