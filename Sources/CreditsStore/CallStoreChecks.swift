import CreditsCore
import Foundation

/// Checks every backend makes the same way before it writes anything for a call operation.
public enum CallStoreChecks {
    /// Longest reason a caller may give for a cancel.
    public static let reasonLengthMax = 200

    /// A batch of new attempts: within its limit, each valid, no id twice.
    public static func batch(_ attempts: [NewAttempt]) throws(LedgerRefusal) {
        guard !attempts.isEmpty, attempts.count <= Limits.attemptBatchMax else {
            throw .invalid("a batch holds 1 to \(Limits.attemptBatchMax) attempts")
        }
        var seen = Set<AttemptID>()
        for attempt in attempts {
            try attempt.validate()
            guard seen.insert(attempt.id).inserted else {
                throw .invalid("attempt \(attempt.id) appears twice in the batch")
            }
        }
    }

    /// Ids to read together: at most `Limits.attemptBatchMax`, each a valid identifier.
    public static func attemptIds(_ ids: [AttemptID]) throws(LedgerRefusal) {
        guard ids.count <= Limits.attemptBatchMax else {
            throw .invalid("read at most \(Limits.attemptBatchMax) attempts at once")
        }
        for id in ids { try Limits.checkIdentifier(id, field: "attemptId") }
    }

    /// A repeat of a creation: the same content replays, other content is a conflict.
    public static func replay(_ new: NewAttempt, _ existing: CallAttempt) throws(LedgerRefusal) {
        guard new.matches(existing) else {
            throw LedgerRefusal(.idempotencyConflict, "attempt \(new.id) already exists with different content")
        }
    }

    /// A repeat of an event id: the same event for the same attempt replays, anything else is a conflict.
    public static func replay(_ command: AttemptEventCommand, _ record: AttemptEventRecord) throws(LedgerRefusal) {
        guard record.attemptId == command.attemptId, record.event == command.event.code else {
            throw LedgerRefusal(
                .idempotencyConflict, "event \(command.eventId) was already used for a different event or attempt")
        }
    }

    /// A caller's reason, trimmed; nil when empty.
    public static func reason(_ text: String?) throws(LedgerRefusal) -> String? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= reasonLengthMax else {
            throw .invalid("reason must be at most \(reasonLengthMax) characters")
        }
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Numbers for the Do Not Call list: within the batch limit and each in E.164.
    public static func numbers(_ numbers: [String]) throws(LedgerRefusal) {
        guard numbers.count <= Limits.dncBatchMax else {
            throw .invalid("at most \(Limits.dncBatchMax) numbers at a time")
        }
        for number in numbers where (try? PhoneNumber(number))?.e164 != number {
            throw .invalid("\(number.prefix(40)) is not an E.164 number such as +14155550123")
        }
    }
}
