import CreditsCore
import CreditsStore
import Foundation

// Request and response bodies of the call routes: attempts, events, the Do Not Call list and usage.

/// `POST /v1/attempts` body: record one attempt and, unless `dial` is false, start dialing it.
struct CreateAttemptBody: Decodable {
    var attemptId: AttemptID
    /// Any common notation; normalised to E.164 (national numbers read as +1).
    var phoneNumber: String
    var walletId: WalletID?
    var campaignId: CampaignID?
    var recipientId: RecipientID?
    var numberPosition: Int?
    var dial: Bool?
    var holdTimeoutSeconds: Int?
}

/// `POST /v1/attempts/{attemptId}/events` body. `type` is one of `dialing_started`, `connected` (with
/// `party`), `completed` (with `outcome`, a row of the cost table), `failed`, `cancelled`.
struct AttemptEventBody: Decodable {
    var eventId: String
    var type: String
    var party: String?
    var outcome: String?

    /// The event the body describes, or `invalid_request`.
    func event() throws(LedgerRefusal) -> AttemptEvent {
        switch type {
        case "dialing_started": return .dialingStarted
        case "connected":
            guard let party = ConnectedParty(rawValue: party ?? "unknown") else {
                throw .invalid("party must be one of person, machine, unknown")
            }
            return .connected(party)
        case "completed":
            guard let raw = outcome, let outcome = CallOutcome(rawValue: raw), outcome != .dnc else {
                throw .invalid(
                    "outcome must be one of answered_full_conversation, answered_hung_up_immediately, "
                        + "missed_voicemail_left, missed_no_voicemail, failed, cancelled")
            }
            return .completed(outcome)
        case "failed": return .failed
        case "cancelled": return .cancelled
        default:
            throw .invalid("type must be one of dialing_started, connected, completed, failed, cancelled")
        }
    }
}

/// `POST /v1/attempts/{attemptId}/cancel` body (optional).
struct CancelAttemptBody: Decodable {
    var reason: String?
}

/// What an event (or a cancel) did to an attempt.
struct AttemptUpdateView: Codable {
    var attempt: CallAttempt
    var disposition: AttemptEventDisposition
    var ledgerAction: AttemptLedgerAction
    var replayed: Bool

    init(_ update: AttemptUpdate) {
        attempt = update.attempt
        disposition = update.disposition
        ledgerAction = update.ledgerAction
        replayed = update.replayed
    }
}

/// `GET /v1/attempts/{attemptId}` response: the attempt and the events recorded for it.
struct AttemptDetailView: Codable {
    var attempt: CallAttempt
    var events: [AttemptEventRecord]
}

/// `POST /v1/dnc` and `DELETE`-by-body bodies.
struct DoNotCallBody: Decodable {
    var numbers: [String]
}

/// `POST /v1/dnc` response.
struct DoNotCallAddView: Codable {
    /// The numbers as listed (E.164).
    var numbers: [String]
    /// How many were not listed before.
    var added: Int
}

/// `GET /v1/dnc/{phoneNumber}` and `DELETE /v1/dnc/{phoneNumber}` responses.
struct DoNotCallCheckView: Codable {
    var phoneNumber: String
    var listed: Bool
    /// Set on a removal: whether the number was listed.
    var removed: Bool?
}

/// `POST /v1/dnc/import` response.
struct DoNotCallImportView: Codable {
    /// Data rows read.
    var rows: Int
    /// Valid numbers found (every phone column of every row).
    var numbers: Int
    /// Numbers newly listed; the rest were listed already.
    var added: Int
    var rowErrors: [RecipientRowError]
    var rowErrorCount: Int
}
