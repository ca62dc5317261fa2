import Foundation

/// Where a campaign is in its life. `cancelled` and `completed` are final.
public enum CampaignStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// Being prepared: recipients, pacing and the cap may change.
    case draft
    /// Launched for a later time; the runner starts it then.
    case scheduled
    /// The runner dials it within its pacing.
    case running
    /// Not dialing; `pauseReason` says why and whether it resumes by itself.
    case paused
    /// Stopped for good by its owner: nothing more is dialed, queued attempts were cancelled.
    case cancelled
    /// Every recipient reached an end.
    case completed

    /// Whether the status is final: a final campaign never moves again.
    public var isFinal: Bool { self == .cancelled || self == .completed }

    /// Whether the campaign was launched and has not ended: it may still dial (running) or resume (paused).
    public var isActive: Bool { self == .running || self == .paused }
}

/// Why a campaign is paused.
public enum CampaignPauseReason: String, Hashable, Sendable, Codable, CaseIterable {
    /// The wallet could not fund the next attempt; resumes by itself once credits arrive.
    case outOfCredits = "out_of_credits"
    /// The campaign spent its credit cap; resumes when the cap is raised.
    case creditCap = "credit_cap"
    /// Its owner paused it; only its owner resumes it.
    case user
}

/// A campaign: recipients dialed within a pacing, drawing from exactly one wallet, optionally capped.
public struct Campaign: Hashable, Sendable, Codable {
    public var id: CampaignID
    public var workspaceId: WorkspaceID
    /// The one wallet every attempt of the campaign draws from.
    public var walletId: WalletID
    public var name: String
    public var status: CampaignStatus
    /// Set exactly when `status` is `paused`.
    public var pauseReason: CampaignPauseReason?
    /// Most credits the campaign may spend (connected attempts); nil for no cap.
    public var creditCap: Credits?
    /// Calling hours, active days, daily limit and lines. Its time zone is the workspace's.
    public var pacing: Pacing
    /// For a scheduled campaign, when it starts.
    public var launchAt: Date?
    /// Whether the launch acknowledged a shortfall (the maximum calls exceeded the available credits).
    public var shortfallAcknowledged: Bool
    /// Counters the runner keeps as recipients are dialed and end.
    public var progress: CampaignProgress
    public var createdAt: Date
    public var updatedAt: Date
    /// When it first started running.
    public var startedAt: Date?
    /// When it was cancelled or completed.
    public var endedAt: Date?

    public init(
        id: CampaignID, workspaceId: WorkspaceID, walletId: WalletID, name: String, status: CampaignStatus = .draft,
        pauseReason: CampaignPauseReason? = nil, creditCap: Credits? = nil, pacing: Pacing, launchAt: Date? = nil,
        shortfallAcknowledged: Bool = false, progress: CampaignProgress = CampaignProgress(), createdAt: Date,
        updatedAt: Date? = nil, startedAt: Date? = nil, endedAt: Date? = nil
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.walletId = walletId
        self.name = name
        self.status = status
        self.pauseReason = pauseReason
        self.creditCap = creditCap
        self.pacing = pacing
        self.launchAt = launchAt
        self.shortfallAcknowledged = shortfallAcknowledged
        self.progress = progress
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
    }

    /// Credits the cap leaves for new dials, with `active` attempts in flight (each may cost one); nil: no cap.
    public var capRoom: Int64? {
        creditCap.map { $0.count - progress.creditsSpent.count - Int64(progress.active) }
    }

    /// Checks the fields a client sets.
    public func validate() throws(LedgerRefusal) {
        guard !name.isEmpty, name.count <= Limits.nameLengthMax else {
            throw .invalid("name must be 1 to \(Limits.nameLengthMax) characters")
        }
        if let creditCap, creditCap.count < 1 || creditCap.count > Limits.grantAmountMax {
            throw .invalid("creditCap must be between 1 and \(Limits.grantAmountMax)")
        }
        try pacing.validate()
        guard pacing.lines <= Limits.campaignLinesMax else {
            throw .invalid("lines must be at most \(Limits.campaignLinesMax)")
        }
    }
}

/// Where a campaign's recipients and credits stand. Every recipient is pending (not reached yet), active
/// (one attempt open: Waiting or Calling) or done.
public struct CampaignProgress: Hashable, Sendable, Codable {
    /// Recipients accepted (CSV uploads and single calls).
    public var recipients: Int
    /// Recipients with an attempt open: what occupies the lines.
    public var active: Int
    /// Recipients whose dialing ended (answered, exhausted or cancelled).
    public var done: Int
    /// Of the done recipients, those a person answered.
    public var answered: Int
    /// Attempts that ended after dialing (a credit was held), whatever the outcome.
    public var attemptsDialed: Int
    /// Credits the campaign's ended attempts were charged: what the cap is held against.
    public var creditsSpent: Credits
    /// The local day (`yyyy-MM-dd`, workspace time zone) `dialedOnDay` counts for.
    public var dialDay: String?
    /// Attempts dialed on `dialDay` that have ended; open ones are counted apart, as `active`.
    public var dialedOnDay: Int

    public init(
        recipients: Int = 0, active: Int = 0, done: Int = 0, answered: Int = 0, attemptsDialed: Int = 0,
        creditsSpent: Credits = .zero, dialDay: String? = nil, dialedOnDay: Int = 0
    ) {
        self.recipients = recipients
        self.active = active
        self.done = done
        self.answered = answered
        self.attemptsDialed = attemptsDialed
        self.creditsSpent = creditsSpent
        self.dialDay = dialDay
        self.dialedOnDay = dialedOnDay
    }

    /// Recipients not reached yet.
    public var pending: Int { recipients - active - done }

    /// Attempts dialed on the local day `day`, counting every open attempt as dialed (the daily limit
    /// must hold even if all of them connect).
    public func dialedToday(_ day: String) -> Int { (dialDay == day ? dialedOnDay : 0) + active }
}

/// Stable codes for refusals about campaigns, ordered by precedence.
public enum CampaignRefusalCode: String, Sendable, Codable, CaseIterable {
    /// No such campaign in the workspace.
    case campaignNotFound = "campaign_not_found"
    /// The action cannot happen in the campaign's status (e.g. resume a running campaign).
    case invalidTransition = "campaign_invalid_transition"
    /// The change needs a draft campaign (recipients are fixed once it is launched).
    case notEditable = "campaign_not_editable"
    /// Launching has no recipient to dial.
    case noRecipients = "campaign_no_recipients"
    /// The maximum calls exceed the available credits and the launch did not acknowledge it.
    case shortfallNotAcknowledged = "shortfall_not_acknowledged"
    /// A single call was asked for a campaign that is not running or paused.
    case notActive = "campaign_not_active"

    /// Whether sending the same request again can succeed without changing it. None can.
    public var retryable: Bool { false }
}

/// Why a campaign action was refused: a stable code and a message for people.
public struct CampaignRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: CampaignRefusalCode
    public var message: String

    public init(_ code: CampaignRefusalCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension CampaignRefusal: BusinessRefusal {
    public var refusalCode: String { code.rawValue }
    public var isRetryable: Bool { code.retryable }
}
