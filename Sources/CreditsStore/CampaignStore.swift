import CreditsCore
import Foundation

/// Campaigns and their recipients (docs/campaigns.md). A campaign draws from one wallet; its recipients are
/// dialed by the campaign runner through `CallStore` attempts whose ids the store hands out
/// (`CampaignRecipient.attemptId(position:)`), so two runners never dial one attempt twice.
///
/// Every operation reads and writes one workspace; changes to a campaign and its counters happen in one
/// transaction with the campaign row locked. Refusals: `LedgerRefusal` (`invalid_request`,
/// `workspace_not_found`, `wallet_not_found`) and `CampaignRefusal`.
public protocol CampaignStore: Sendable {
    /// Creates a draft campaign on one of the workspace's wallets.
    func createCampaign(_ new: NewCampaign) async throws -> Campaign

    /// The campaign, or nil when the workspace has none with that id.
    func campaign(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> Campaign?

    /// Campaigns newest first, a page at a time (`before`: the last id of the previous page).
    func campaigns(workspaceId: WorkspaceID, limit: Int, before: CampaignID?) async throws -> CampaignPage

    /// Changes the name or pacing of a campaign that has not ended.
    func editCampaign(workspaceId: WorkspaceID, campaignId: CampaignID, _ edit: CampaignEdit) async throws
        -> Campaign

    /// Applies an action (`CampaignRules`) with the campaign row locked. A cancel also ends every pending
    /// recipient (outcome cancelled); open attempts are the runner's to cancel.
    func applyCampaignAction(workspaceId: WorkspaceID, campaignId: CampaignID, _ action: CampaignAction)
        async throws -> Campaign

    /// Adds recipients. CSV uploads go to a draft; a single call (`singleCall`) goes to a running or
    /// paused campaign, ahead of the queue. At most `Limits.campaignRecipientsMax` per campaign.
    func addRecipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ recipients: [Recipient], singleCall: Bool
    ) async throws -> RecipientsAdded

    /// Recipients in upload order, a page at a time (`after`: the last index of the previous page).
    func recipients(workspaceId: WorkspaceID, campaignId: CampaignID, after: Int?, limit: Int) async throws
        -> RecipientPage

    /// Every recipient's numbers in dialing order (E.164), for the Send step.
    func recipientNumbers(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> [[String]]

    // MARK: The runner

    /// Campaigns the runner has work for, across workspaces: running and scheduled ones (the runner starts
    /// those whose time came, and learns when the others wake), ones paused for credits (to see whether
    /// credits arrived), and any with attempts open.
    func dueCampaigns(limit: Int) async throws -> [CampaignKey]

    /// The active recipients (one attempt open each) of a campaign.
    func activeRecipients(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> [CampaignRecipient]

    /// Plans dialing at `now` (`CampaignProgress.plan`) with the campaign row locked and, for `.dial(n)`,
    /// marks up to `min(n, limit)` pending recipients active at their next number and returns them. A
    /// finished campaign completes; a spent cap pauses it. Two runners calling this at once share the
    /// recipients, never take one twice.
    func claimRecipients(workspaceId: WorkspaceID, campaignId: CampaignID, now: Date, limit: Int) async throws
        -> RecipientClaim

    /// Records the end of active recipients' attempts: each moves to its next number or is done
    /// (`FallbackDialing`), and the counters move (`CampaignProgress.ended`). An outcome for a recipient
    /// whose open attempt is another one (already recorded, by this or another runner) changes nothing.
    func recordOutcomes(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ outcomes: [AttemptOutcome]
    ) async throws -> Campaign
}

/// A new campaign, created as a draft.
public struct NewCampaign: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    /// nil: the workspace's pool.
    public var walletId: WalletID?
    public var name: String
    public var creditCap: Credits?
    /// Pacing without its time zone, which is the workspace's.
    public var pacing: PacingSettings

    public init(
        workspaceId: WorkspaceID, walletId: WalletID? = nil, name: String, creditCap: Credits? = nil,
        pacing: PacingSettings = PacingSettings()
    ) {
        self.workspaceId = workspaceId
        self.walletId = walletId
        self.name = name
        self.creditCap = creditCap
        self.pacing = pacing
    }
}

/// Pacing as a client sets it; the time zone is always the workspace's.
public struct PacingSettings: Hashable, Sendable, Codable {
    public var activeDays: Set<Weekday>
    public var callingStartMinutes: Int
    public var callingEndMinutes: Int
    public var dailyAttemptLimit: Int?
    public var lines: Int
    public var averageCallSeconds: Int

    public init(
        activeDays: Set<Weekday> = Weekday.workdays, callingStartMinutes: Int = 9 * 60,
        callingEndMinutes: Int = 17 * 60, dailyAttemptLimit: Int? = nil, lines: Int = 1, averageCallSeconds: Int = 60
    ) {
        self.activeDays = activeDays
        self.callingStartMinutes = callingStartMinutes
        self.callingEndMinutes = callingEndMinutes
        self.dailyAttemptLimit = dailyAttemptLimit
        self.lines = lines
        self.averageCallSeconds = averageCallSeconds
    }

    /// These settings in `timeZone`.
    public func pacing(in timeZone: TimeZone) -> Pacing {
        Pacing(
            timeZone: timeZone, activeDays: activeDays, callingStartMinutes: callingStartMinutes,
            callingEndMinutes: callingEndMinutes, dailyAttemptLimit: dailyAttemptLimit, lines: lines,
            averageCallSeconds: averageCallSeconds)
    }
}

extension Pacing {
    /// The settings a client sees (the time zone left out).
    public var settings: PacingSettings {
        PacingSettings(
            activeDays: activeDays, callingStartMinutes: callingStartMinutes, callingEndMinutes: callingEndMinutes,
            dailyAttemptLimit: dailyAttemptLimit, lines: lines, averageCallSeconds: averageCallSeconds)
    }
}

/// What an edit changes; nil fields stay as they are.
public struct CampaignEdit: Hashable, Sendable {
    public var name: String?
    public var pacing: PacingSettings?

    public init(name: String? = nil, pacing: PacingSettings? = nil) {
        self.name = name
        self.pacing = pacing
    }
}

/// A page of campaigns, newest first.
public struct CampaignPage: Hashable, Sendable, Codable {
    public var campaigns: [Campaign]
    public var nextCursor: CampaignID?

    public init(campaigns: [Campaign], nextCursor: CampaignID?) {
        self.campaigns = campaigns
        self.nextCursor = nextCursor
    }

    /// Cuts a page from `limit + 1` campaigns fetched newest first.
    public init(fetched: [Campaign], limit: Int) {
        self.campaigns = Array(fetched.prefix(limit))
        self.nextCursor = fetched.count > limit ? campaigns.last?.id : nil
    }
}

/// Where a recipient is in its dialing.
public enum RecipientState: String, Hashable, Sendable, Codable, CaseIterable {
    /// Not reached yet, or waiting for its next number.
    case pending
    /// One attempt open (Waiting or Calling).
    case active
    /// Dialing ended; `outcome` says how.
    case done
}

/// One recipient of one campaign.
public struct CampaignRecipient: Hashable, Sendable, Codable {
    public var campaignId: CampaignID
    /// Its place in the campaign, from 1 in upload order.
    public var index: Int
    /// The CSV row it came from; nil for a single call.
    public var row: Int?
    public var firstName: String?
    public var lastName: String?
    public var name: String?
    /// E.164 numbers in dialing order.
    public var numbers: [String]
    public var state: RecipientState
    /// The number dialed now (active) or next (pending), 1-based; the last one tried once done.
    public var position: Int
    public var outcome: RecipientOutcome?
    /// A single call asked for through the API: dialed ahead of the uploaded recipients.
    public var singleCall: Bool

    public init(
        campaignId: CampaignID, index: Int, row: Int?, firstName: String? = nil, lastName: String? = nil,
        name: String? = nil, numbers: [String], state: RecipientState = .pending, position: Int = 1,
        outcome: RecipientOutcome? = nil, singleCall: Bool = false
    ) {
        self.campaignId = campaignId
        self.index = index
        self.row = row
        self.firstName = firstName
        self.lastName = lastName
        self.name = name
        self.numbers = numbers
        self.state = state
        self.position = position
        self.outcome = outcome
        self.singleCall = singleCall
    }

    /// The recipient's id as attempts carry it.
    public var id: RecipientID { Self.id(campaignId: campaignId, index: index) }

    /// The id of the attempt at `position`: fixed, so every runner dials the same attempt (and the
    /// attempt rules let only one of them start it).
    public func attemptId(position: Int) -> AttemptID { "\(id):\(position)" }

    /// The attempt open now (active) or last made.
    public var attemptId: AttemptID { attemptId(position: position) }

    /// The number dialed at `position`.
    public var number: String { numbers[position - 1] }

    public static func id(campaignId: CampaignID, index: Int) -> RecipientID { "\(campaignId):\(index)" }
}

/// A page of recipients in upload order.
public struct RecipientPage: Hashable, Sendable, Codable {
    public var recipients: [CampaignRecipient]
    /// The index to pass as `after` for the next page.
    public var nextCursor: Int?

    public init(recipients: [CampaignRecipient], nextCursor: Int?) {
        self.recipients = recipients
        self.nextCursor = nextCursor
    }
}

/// What `addRecipients` did.
public struct RecipientsAdded: Hashable, Sendable {
    public var campaign: Campaign
    /// The recipients' indexes: `firstIndex…` for `count` recipients.
    public var firstIndex: Int
    public var count: Int

    public init(campaign: Campaign, firstIndex: Int, count: Int) {
        self.campaign = campaign
        self.firstIndex = firstIndex
        self.count = count
    }
}

/// A campaign the runner has work for.
public struct CampaignKey: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var campaignId: CampaignID

    public init(workspaceId: WorkspaceID, campaignId: CampaignID) {
        self.workspaceId = workspaceId
        self.campaignId = campaignId
    }
}

/// What `claimRecipients` decided: the campaign after it and the recipients now active.
public struct RecipientClaim: Hashable, Sendable {
    public var campaign: Campaign
    public var claimed: [CampaignRecipient]

    public init(campaign: Campaign, claimed: [CampaignRecipient]) {
        self.campaign = campaign
        self.claimed = claimed
    }
}

/// How an active recipient's open attempt ended.
public struct AttemptOutcome: Hashable, Sendable {
    public var recipientIndex: Int
    public var attemptId: AttemptID
    public var status: AttemptStatus
    public var creditsCharged: Credits
    /// When dialing started; nil when it never did (DNC, cancelled while Waiting).
    public var dialedAt: Date?

    public init(
        recipientIndex: Int, attemptId: AttemptID, status: AttemptStatus, creditsCharged: Credits, dialedAt: Date?
    ) {
        self.recipientIndex = recipientIndex
        self.attemptId = attemptId
        self.status = status
        self.creditsCharged = creditsCharged
        self.dialedAt = dialedAt
    }
}
