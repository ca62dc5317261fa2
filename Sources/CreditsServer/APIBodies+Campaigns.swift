import CreditsCore
import CreditsStore
import Foundation

// Request and response bodies of the campaign routes.

/// Pacing as the API shows and takes it: days by name, calling hours in minutes after local midnight.
struct PacingBody: Codable, Equatable {
    var activeDays: [String]?
    var callingStartMinutes: Int?
    var callingEndMinutes: Int?
    var dailyAttemptLimit: Int?
    var lines: Int?
    var averageCallSeconds: Int?
    /// Shown, never taken: calling hours follow the workspace's time zone.
    var timeZone: String?

    static let dayNames: [Weekday: String] = [
        .sunday: "sunday", .monday: "monday", .tuesday: "tuesday", .wednesday: "wednesday", .thursday: "thursday",
        .friday: "friday", .saturday: "saturday",
    ]

    init(_ pacing: Pacing) {
        activeDays = Weekday.allCases.filter(pacing.activeDays.contains).compactMap { Self.dayNames[$0] }
        callingStartMinutes = pacing.callingStartMinutes
        callingEndMinutes = pacing.callingEndMinutes
        dailyAttemptLimit = pacing.dailyAttemptLimit
        lines = pacing.lines
        averageCallSeconds = pacing.averageCallSeconds
        timeZone = pacing.timeZone.identifier
    }

    /// `base` with the fields this body sets.
    func settings(over base: PacingSettings = PacingSettings()) throws(LedgerRefusal) -> PacingSettings {
        var settings = base
        if let activeDays {
            var days: Set<Weekday> = []
            for name in activeDays {
                guard let day = Self.dayNames.first(where: { $0.value == name.lowercased() })?.key else {
                    throw .invalid("activeDays holds day names such as monday, not \(name.prefix(20))")
                }
                days.insert(day)
            }
            settings.activeDays = days
        }
        if let callingStartMinutes { settings.callingStartMinutes = callingStartMinutes }
        if let callingEndMinutes { settings.callingEndMinutes = callingEndMinutes }
        if let dailyAttemptLimit { settings.dailyAttemptLimit = dailyAttemptLimit }
        if let lines { settings.lines = lines }
        if let averageCallSeconds { settings.averageCallSeconds = averageCallSeconds }
        return settings
    }
}

/// A campaign as the API shows it.
struct CampaignView: Codable, Equatable {
    var id: CampaignID
    var walletId: WalletID
    var name: String
    var status: CampaignStatus
    var pauseReason: CampaignPauseReason?
    var creditCap: Credits?
    var pacing: PacingBody
    var launchAt: Date?
    var shortfallAcknowledged: Bool
    var progress: CampaignProgressView
    var createdAt: Date
    var updatedAt: Date
    var startedAt: Date?
    var endedAt: Date?

    init(_ campaign: Campaign) {
        id = campaign.id
        walletId = campaign.walletId
        name = campaign.name
        status = campaign.status
        pauseReason = campaign.pauseReason
        creditCap = campaign.creditCap
        pacing = PacingBody(campaign.pacing)
        launchAt = campaign.launchAt
        shortfallAcknowledged = campaign.shortfallAcknowledged
        progress = CampaignProgressView(campaign.progress)
        createdAt = campaign.createdAt
        updatedAt = campaign.updatedAt
        startedAt = campaign.startedAt
        endedAt = campaign.endedAt
    }
}

/// A campaign's counters as the API shows them.
struct CampaignProgressView: Codable, Equatable {
    var recipients: Int
    var pending: Int
    var active: Int
    var done: Int
    var answered: Int
    var attemptsDialed: Int
    var creditsSpent: Credits

    init(_ progress: CampaignProgress) {
        recipients = progress.recipients
        pending = progress.pending
        active = progress.active
        done = progress.done
        answered = progress.answered
        attemptsDialed = progress.attemptsDialed
        creditsSpent = progress.creditsSpent
    }
}

/// `GET /v1/campaigns` response.
struct CampaignListView: Codable {
    var campaigns: [CampaignView]
    var nextCursor: CampaignID?
}

/// `POST /v1/campaigns` body.
struct CreateCampaignBody: Decodable {
    var name: String
    var walletId: WalletID?
    var creditCap: Credits?
    var pacing: PacingBody?
}

/// `PATCH /v1/campaigns/{campaignId}` body. `creditCap: null` removes the cap; leaving it out keeps it.
struct EditCampaignBody: Decodable {
    var name: String?
    var pacing: PacingBody?
    var creditCap: Credits?
    var setsCreditCap: Bool

    private enum Keys: String, CodingKey {
        case name
        case pacing
        case creditCap
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        pacing = try container.decodeIfPresent(PacingBody.self, forKey: .pacing)
        setsCreditCap = container.contains(.creditCap)
        creditCap = try container.decodeIfPresent(Credits.self, forKey: .creditCap)
    }
}

/// `POST /v1/campaigns/{campaignId}/launch` body (optional).
struct LaunchBody: Decodable {
    /// Launch at this time instead of now.
    var at: Date?
    /// Go ahead although the maximum calls exceed the available credits.
    var acknowledgeShortfall: Bool?
}

/// `POST /v1/campaigns/{campaignId}/recipients` response.
struct RecipientUploadView: Codable {
    var accepted: Int
    var rowsRead: Int
    var rowsRejected: Int
    var rowErrorCount: Int
    /// The first `Limits.csvRowErrorsMax` row problems.
    var rowErrors: [RecipientRowError]
    var phoneColumns: [String]
    var campaign: CampaignView
}

/// `GET /v1/campaigns/{campaignId}/recipients` response.
struct RecipientListView: Codable {
    var recipients: [CampaignRecipient]
    var nextCursor: Int?
}

/// The connect rates behind the Send step's expected cost.
struct ConnectRatesView: Codable {
    /// `history` (the workspace's attempts of the last `days` days) or `default`.
    var source: String
    var days: Int
    /// Ended attempts the history held at the first position.
    var historyAttempts: Int64
    var byPosition: [PositionRatesView]
    /// The rates used when there is too little history.
    var defaultRates: PositionRatesView
}

struct PositionRatesView: Codable {
    var position: Int
    var person: Double
    var machine: Double
}

/// `GET /v1/campaigns/{campaignId}/send-step` response.
struct SendStepView: Codable {
    var recipients: Int
    var maximumCalls: Int
    var minimumCalls: Int
    var dncFilteredNumbers: Int
    var recipientsWithoutDialableNumber: Int
    var availableCredits: Credits
    var shortfall: Credits
    var needsAcknowledgement: Bool
    var warning: String?
    var expectedCalls: Double
    var expectedCredits: Double
    var connectRates: ConnectRatesView
    var startAt: Date
    var estimatedCompletionAt: Date?
    var latestCompletionAt: Date?
}

/// `POST /v1/calls.execute` body: one call to one number for an active campaign.
struct ExecuteCallBody: Decodable {
    var campaignId: CampaignID
    var phoneNumber: String
    var firstName: String?
    var lastName: String?
    var name: String?
}

/// `POST /v1/calls.execute` response: queued for the runner, or recorded as a Cancelled attempt.
struct ExecuteCallView: Codable {
    /// `queued` or `cancelled`.
    var status: String
    var recipient: CampaignRecipient?
    var attempt: CallAttempt?
}
