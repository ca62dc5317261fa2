/// Marks an error as a business refusal (a value with a stable code, decided before anything is
/// written), as opposed to an infrastructure failure. Stores pass refusals through unchanged: the SQLite
/// group commit does not roll back the batch for one, and PostgreSQL does not retry or wrap one. Each
/// capability's refusal type (ledger, calls, …) conforms.
public protocol BusinessRefusal: Error, Sendable {
    /// The stable code clients switch on.
    var refusalCode: String { get }
    /// A sentence for people.
    var message: String { get }
    /// Whether sending the same request again later can succeed.
    var isRetryable: Bool { get }
}

extension LedgerRefusal: BusinessRefusal {
    public var refusalCode: String { code.rawValue }
    public var isRetryable: Bool { code.retryable }
}

extension CallRefusal: BusinessRefusal {
    public var refusalCode: String { code.rawValue }
    public var isRetryable: Bool { code.retryable }
}
