/// What users see of a call attempt: Waiting (queued), Calling (active), then one final status.
public enum AttemptStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case waiting
    case calling
    case answered
    case missed
    case failed
    case cancelled
    case dnc

    /// Whether the status is final: once there, an attempt never moves again.
    public var isFinal: Bool {
        switch self {
        case .waiting, .calling: false
        case .answered, .missed, .failed, .cancelled, .dnc: true
        }
    }
}

/// What the ledger does for an attempt: the store performs it with `Ledger.hold`, capture or release.
public enum AttemptLedgerAction: String, Hashable, Sendable, Codable {
    /// Nothing to write.
    case none
    /// Reserve one credit (dialing starts).
    case hold
    /// Charge the held credit (the call connected). After a timeout release, the store charges it anew
    /// from what the wallet has, or records it as uncollected.
    case capture
    /// Refund the held credit (failed or cancelled before connection).
    case release
}

/// The seed's cost table, exactly: seven ways an attempt ends, each with its status and cost.
public enum CallOutcome: String, Hashable, Sendable, Codable, CaseIterable {
    case answeredFullConversation = "answered_full_conversation"
    case answeredHungUpImmediately = "answered_hung_up_immediately"
    case missedVoicemailLeft = "missed_voicemail_left"
    case missedNoVoicemail = "missed_no_voicemail"
    case failed
    case cancelled
    case dnc

    /// The status the attempt ends in.
    public var status: AttemptStatus {
        switch self {
        case .answeredFullConversation, .answeredHungUpImmediately: .answered
        case .missedVoicemailLeft, .missedNoVoicemail: .missed
        case .failed: .failed
        case .cancelled: .cancelled
        case .dnc: .dnc
        }
    }

    /// Whether the other end picked up (person or voicemail): the moment that charges the credit.
    public var isConnected: Bool { credits == .one }

    /// Credits the attempt costs in the end: 1 when connected, 0 (refunded) otherwise.
    public var credits: Credits {
        switch self {
        case .answeredFullConversation, .answeredHungUpImmediately, .missedVoicemailLeft, .missedNoVoicemail: .one
        case .failed, .cancelled, .dnc: .zero
        }
    }

    /// Whether the table shows the row as "0 — refunded".
    public var isRefunded: Bool { !isConnected }

    /// What the row means for a dialed attempt's hold: capture when connected, release when failed or
    /// cancelled, nothing for DNC (filtered before dialing, so never held).
    public var ledgerAction: AttemptLedgerAction {
        switch self {
        case .answeredFullConversation, .answeredHungUpImmediately, .missedVoicemailLeft, .missedNoVoicemail: .capture
        case .failed, .cancelled: .release
        case .dnc: .none
        }
    }

    /// The seed's wording of the row.
    public var label: String {
        switch self {
        case .answeredFullConversation: "Answered — full conversation"
        case .answeredHungUpImmediately: "Answered — contact hung up immediately"
        case .missedVoicemailLeft: "Missed — voicemail left"
        case .missedNoVoicemail: "Missed — no voicemail"
        case .failed: "Failed to connect"
        case .cancelled: "Cancelled before connection"
        case .dnc: "Filtered by DNC list"
        }
    }
}

/// Who picked up when a call connected.
public enum ConnectedParty: String, Hashable, Sendable, Codable {
    /// A person answered.
    case person
    /// Voicemail, an answering machine or a fax picked up.
    case machine
    /// The provider could not tell (or did not try).
    case unknown
}

/// Something the telephony side (or the campaign runner) reports about one attempt.
public enum AttemptEvent: Hashable, Sendable, Codable {
    /// The number is on the Do Not Call list: never dialed, costs nothing.
    case dncFiltered
    /// Dialing started: hold one credit.
    case dialingStarted
    /// The other end picked up: charge the credit.
    case connected(ConnectedParty)
    /// The call ended with one of the seven outcomes (connected ones also charge if not yet charged).
    case completed(CallOutcome)
    /// The call did not connect (busy, no answer, carrier failure).
    case failed
    /// The attempt was cancelled before connection (campaign cancelled, out of credits).
    case cancelled
    /// The hold's timeout passed without an outcome (the hold sweeper).
    case holdTimeout
}

/// Where an attempt's credit stands.
public enum AttemptCharge: String, Hashable, Sendable, Codable {
    /// No credit was ever held (Waiting, DNC, cancelled before dialing).
    case none
    /// One credit is held while dialing.
    case held
    /// The credit was charged.
    case captured
    /// The credit was refunded.
    case released
    /// The hold was released by its timeout; a late "connected" is still charged.
    case releasedByTimeout = "released_by_timeout"
}

/// An attempt as the rules see it: status, outcome, and where its credit stands.
public struct AttemptState: Hashable, Sendable, Codable {
    public var status: AttemptStatus
    /// The final row of the cost table, once known.
    public var outcome: CallOutcome?
    public var charge: AttemptCharge
    /// Who picked up, once connected.
    public var connectedParty: ConnectedParty?
    /// Set when something needs a person's look: a hold timed out, or a call connected after its final status.
    public var needsReconciliation: Bool

    public init(
        status: AttemptStatus = .waiting, outcome: CallOutcome? = nil, charge: AttemptCharge = .none,
        connectedParty: ConnectedParty? = nil, needsReconciliation: Bool = false
    ) {
        self.status = status
        self.outcome = outcome
        self.charge = charge
        self.connectedParty = connectedParty
        self.needsReconciliation = needsReconciliation
    }

    /// A new attempt, queued.
    public static let waiting = AttemptState()
}

/// Why an event changed nothing: it repeated, came late, or came after the attempt ended.
public enum AttemptEventDisposition: String, Hashable, Sendable, Codable {
    /// The event changed the attempt.
    case applied
    /// The event repeats what the attempt already knows (a duplicate or an earlier step arriving late).
    case duplicate
    /// The attempt's status is final; the event is recorded but moves nothing.
    case afterFinal = "after_final"
}

/// The answer of `AttemptRules.apply`: the new state, the ledger action to perform, and why.
public struct AttemptTransition: Hashable, Sendable {
    public var state: AttemptState
    public var action: AttemptLedgerAction
    public var disposition: AttemptEventDisposition

    public init(state: AttemptState, action: AttemptLedgerAction, disposition: AttemptEventDisposition) {
        self.state = state
        self.action = action
        self.disposition = disposition
    }
}
