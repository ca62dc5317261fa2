/// Stable codes for refusals about call attempts and provider callbacks, ordered by precedence.
/// Kept apart from `RefusalCode` (the ledger's) so the HTTP layer maps them when it wires the call routes.
public enum CallRefusalCode: String, Sendable, Codable, CaseIterable {
    /// A provider callback could not be read (missing or unknown CallStatus, bad CallDuration).
    case invalidCallback = "invalid_callback"
    /// The event makes no sense for the attempt as it stands (e.g. "connected" for an attempt never dialed).
    case invalidAttemptEvent = "invalid_attempt_event"

    /// Whether sending the same request again can succeed. Neither can: the content is what is wrong.
    public var retryable: Bool { false }
}

/// Why the call rules refused an event or callback: a stable code and a message for people.
public struct CallRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: CallRefusalCode
    public var message: String

    public init(_ code: CallRefusalCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
