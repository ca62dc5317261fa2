import Foundation

/// A campaign's identifier (campaigns live in their own store capability).
public typealias CampaignID = String
/// A recipient's identifier within a campaign.
public typealias RecipientID = String

/// One dial of one number: what the user sees as a row of the call log, and what the ledger's hold for
/// the same `id` pays for. Status, outcome and charge follow `AttemptRules`; `creditsCharged` is what the
/// ledger really took (0 when a late connect found nothing left: `uncollected`).
public struct CallAttempt: Hashable, Sendable, Codable {
    /// The attempt id: also the ledger's key for the attempt's hold.
    public var id: AttemptID
    public var workspaceId: WorkspaceID
    /// The wallet the attempt draws its credit from.
    public var walletId: WalletID
    public var campaignId: CampaignID?
    public var recipientId: RecipientID?
    /// Which of the recipient's numbers: 1 = `phone`, 2 = `phone2`, …
    public var numberPosition: Int?
    /// The number dialed, in E.164.
    public var phoneNumber: String
    public var status: AttemptStatus
    /// The row of the cost table, once the attempt has ended.
    public var outcome: CallOutcome?
    public var charge: AttemptCharge
    public var connectedParty: ConnectedParty?
    /// A hold timed out or a call connected after the attempt ended: somebody should look.
    public var needsReconciliation: Bool
    /// Credits the ledger charged for this attempt: 0 or 1.
    public var creditsCharged: Credits
    /// A late connect found no credit left: recorded as uncollected on the ledger, never dropped.
    public var uncollected: Bool
    /// Why the attempt ended the way it did, when the rules know more than the outcome says
    /// (`out_of_credits`, `dnc_listed`, `campaign_cancelled`, a caller's reason for a cancel).
    public var reason: String?
    public var createdAt: Date
    /// When dialing started (the credit was held).
    public var dialedAt: Date?
    /// When the other end picked up (the credit was charged).
    public var connectedAt: Date?
    /// When the status became final.
    public var endedAt: Date?
    public var updatedAt: Date

    public init(
        id: AttemptID, workspaceId: WorkspaceID, walletId: WalletID, campaignId: CampaignID? = nil,
        recipientId: RecipientID? = nil, numberPosition: Int? = nil, phoneNumber: String,
        status: AttemptStatus = .waiting, outcome: CallOutcome? = nil, charge: AttemptCharge = .none,
        connectedParty: ConnectedParty? = nil, needsReconciliation: Bool = false, creditsCharged: Credits = .zero,
        uncollected: Bool = false, reason: String? = nil, createdAt: Date, dialedAt: Date? = nil,
        connectedAt: Date? = nil, endedAt: Date? = nil, updatedAt: Date
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.walletId = walletId
        self.campaignId = campaignId
        self.recipientId = recipientId
        self.numberPosition = numberPosition
        self.phoneNumber = phoneNumber
        self.status = status
        self.outcome = outcome
        self.charge = charge
        self.connectedParty = connectedParty
        self.needsReconciliation = needsReconciliation
        self.creditsCharged = creditsCharged
        self.uncollected = uncollected
        self.reason = reason
        self.createdAt = createdAt
        self.dialedAt = dialedAt
        self.connectedAt = connectedAt
        self.endedAt = endedAt
        self.updatedAt = updatedAt
    }

    /// The part of the attempt the rules (`AttemptRules`) read and change.
    public var state: AttemptState {
        get {
            AttemptState(
                status: status, outcome: outcome, charge: charge, connectedParty: connectedParty,
                needsReconciliation: needsReconciliation)
        }
        set {
            status = newValue.status
            outcome = newValue.outcome
            charge = newValue.charge
            connectedParty = newValue.connectedParty
            needsReconciliation = newValue.needsReconciliation
        }
    }
}

/// An attempt to record: created Waiting (or DNC at once when its number is on the Do Not Call list).
/// Creating is idempotent on `id`: a repeat with the same content returns the stored attempt; other
/// content under the same id is `idempotency_conflict`.
public struct NewAttempt: Hashable, Sendable, Codable {
    public var id: AttemptID
    public var walletId: WalletID
    public var campaignId: CampaignID?
    public var recipientId: RecipientID?
    public var numberPosition: Int?
    /// The number to dial, already in E.164 (`PhoneNumber.e164`).
    public var phoneNumber: String

    public init(
        id: AttemptID, walletId: WalletID, campaignId: CampaignID? = nil, recipientId: RecipientID? = nil,
        numberPosition: Int? = nil, phoneNumber: String
    ) {
        self.id = id
        self.walletId = walletId
        self.campaignId = campaignId
        self.recipientId = recipientId
        self.numberPosition = numberPosition
        self.phoneNumber = phoneNumber
    }

    /// Checks what needs no stored data: identifiers, the position and that the number is E.164.
    public func validate() throws(LedgerRefusal) {
        try Limits.checkIdentifier(id, field: "attemptId")
        try Limits.checkIdentifier(walletId, field: "walletId")
        if let campaignId { try Limits.checkIdentifier(campaignId, field: "campaignId") }
        if let recipientId { try Limits.checkIdentifier(recipientId, field: "recipientId") }
        if let numberPosition, !(1...Limits.csvColumnsMax).contains(numberPosition) {
            throw .invalid("numberPosition must be between 1 and \(Limits.csvColumnsMax)")
        }
        guard (try? PhoneNumber(phoneNumber))?.e164 == phoneNumber else {
            throw .invalid("phoneNumber must be an E.164 number such as +14155550123")
        }
    }

    /// Whether `attempt` was created from this same request (for idempotent replays).
    public func matches(_ attempt: CallAttempt) -> Bool {
        attempt.id == id && attempt.walletId == walletId && attempt.campaignId == campaignId
            && attempt.recipientId == recipientId && attempt.numberPosition == numberPosition
            && attempt.phoneNumber == phoneNumber
    }
}

extension AttemptEvent {
    /// The event as a short stable text: `dialing_started`, `connected:person`,
    /// `completed:missed_voicemail_left`, `failed`, … Stored with each event id, so a repeat of the id
    /// with another event is told apart (`idempotency_conflict`).
    public var code: String {
        switch self {
        case .dncFiltered: "dnc_filtered"
        case .dialingStarted: "dialing_started"
        case .connected(let party): "connected:\(party.rawValue)"
        case .completed(let outcome): "completed:\(outcome.rawValue)"
        case .failed: "failed"
        case .cancelled: "cancelled"
        case .holdTimeout: "hold_timeout"
        }
    }

    /// Reads `code` back; nil for text that is not an event.
    public init?(code: String) {
        let parts = code.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first ?? "", parts.count > 1 ? parts[1] : nil) {
        case ("dnc_filtered", nil): self = .dncFiltered
        case ("dialing_started", nil): self = .dialingStarted
        case ("connected", let party?):
            guard let party = ConnectedParty(rawValue: party) else { return nil }
            self = .connected(party)
        case ("completed", let outcome?):
            guard let outcome = CallOutcome(rawValue: outcome) else { return nil }
            self = .completed(outcome)
        case ("failed", nil): self = .failed
        case ("cancelled", nil): self = .cancelled
        case ("hold_timeout", nil): self = .holdTimeout
        default: return nil
        }
    }
}
