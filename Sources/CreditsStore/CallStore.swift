import CreditsCore
import Foundation

/// Call attempts and what they cost: the attempt's status and its ledger operation (hold, capture,
/// release) always change together, in one transaction of the backend (docs/calls.md, "Attempts and the
/// ledger"). Every operation reads and writes one workspace only.
///
/// Refusals: `LedgerRefusal` (`invalid_request`, `workspace_not_found`, `wallet_not_found`,
/// `unknown_attempt`, `idempotency_conflict`, `out_of_credits`) and `CallRefusal`
/// (`invalid_attempt_event`). Anything else thrown is an infrastructure failure.
public protocol CallStore: Sendable {
    /// Records attempts, each idempotent on its id: a repeat with the same content returns the stored
    /// attempt (`replayed`), other content under the id is `idempotency_conflict`. A number on the
    /// workspace's Do Not Call list is recorded as DNC at once (never dialed, no cost). At most
    /// `Limits.attemptBatchMax` per call; the batch is all or nothing.
    func createAttempts(workspaceId: WorkspaceID, _ attempts: [NewAttempt]) async throws -> [AttemptUpdate]

    /// Starts dialing a Waiting attempt: Waiting → Calling and one credit held from the attempt's wallet,
    /// together. A number put on the DNC list since the attempt was created ends it as DNC instead (no
    /// hold). Out of credits: `.refuse` throws `out_of_credits` and leaves the attempt Waiting (the
    /// campaign runner pauses); `.cancel` records it Cancelled with reason `out_of_credits` (a single
    /// call asked for through the API). A repeat for an attempt already dialed or ended changes nothing
    /// (`duplicate` / `after_final`).
    func startDialing(_ command: DialCommand) async throws -> AttemptUpdate

    /// Applies one outcome event, idempotent on `eventId` (per workspace): a repeat of the same event
    /// returns the attempt as it stands with `replayed` set; another event under the same id is
    /// `idempotency_conflict`. Connected events capture the held credit, failed/cancelled release it;
    /// duplicates, late and out-of-order events never charge twice and never move a final status.
    /// `holdTimeout` is refused here: only the hold sweeper times holds out.
    func applyEvent(_ command: AttemptEventCommand) async throws -> AttemptUpdate

    /// Cancels an attempt that has not connected (Waiting or Calling: its hold is released). Idempotent
    /// by state; an attempt that already ended stays as it is (`after_final`).
    func cancelAttempt(workspaceId: WorkspaceID, attemptId: AttemptID, reason: String?) async throws
        -> AttemptUpdate

    /// Cancels up to `limit` Waiting attempts of a campaign (campaign cancelled); returns them.
    /// Calling attempts are left to end by their own events.
    func cancelWaitingAttempts(
        workspaceId: WorkspaceID, campaignId: CampaignID, reason: String?, limit: Int
    ) async throws -> [CallAttempt]

    /// Moves Calling attempts whose hold the sweeper released by its timeout to "released by timeout,
    /// needs reconciliation", up to `limit`, and returns them. `releaseTimedOutHolds` already does this in
    /// its own transaction; this is the repair path for attempts whose hold was released some other way.
    func reconcileAttempts(limit: Int) async throws -> [CallAttempt]

    /// One attempt, or nil when the workspace has none with that id.
    func attempt(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> CallAttempt?

    /// The attempts among `ids` that exist in the workspace, in no particular order: one read for many
    /// attempts (the campaign runner's look at its open calls). At most `Limits.attemptBatchMax` ids.
    func attempts(workspaceId: WorkspaceID, ids: [AttemptID]) async throws -> [CallAttempt]

    /// Attempts in id order (oldest first), a page at a time.
    func attempts(_ query: AttemptQuery) async throws -> AttemptPage

    /// The events recorded for an attempt, in the order they arrived.
    func attemptEvents(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> [AttemptEventRecord]

    /// The usage breakdown for a period, read from the rollup kept as attempts end (never a scan of
    /// every attempt): by outcome (the seven rows), by campaign and by day.
    func usage(_ query: UsageQuery) async throws -> UsageReport

    /// Attempts that ended in `from…to` by number position (1 = `phone`, …) and outcome, for the Send
    /// step's expected cost. Read from a rollup as `usage` is.
    func positionStatistics(workspaceId: WorkspaceID, from: CalendarDay, to: CalendarDay) async throws
        -> [PositionStatistics]
}

/// What to do when the wallet cannot fund the hold dialing needs.
public enum OutOfCreditsPolicy: String, Hashable, Sendable, Codable {
    /// Throw `out_of_credits`; the attempt stays Waiting (the campaign runner pauses and retries later).
    case refuse
    /// Record the attempt as Cancelled with reason `out_of_credits` (a single call asked for by API).
    case cancel
}

/// Start dialing one attempt.
public struct DialCommand: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var attemptId: AttemptID
    /// The hold's timeout: no outcome within it releases the credit and flags the attempt.
    public var holdTimeoutSeconds: Int
    public var whenOutOfCredits: OutOfCreditsPolicy

    public init(
        workspaceId: WorkspaceID, attemptId: AttemptID, holdTimeoutSeconds: Int = Limits.holdTimeoutSecondsDefault,
        whenOutOfCredits: OutOfCreditsPolicy = .refuse
    ) {
        self.workspaceId = workspaceId
        self.attemptId = attemptId
        self.holdTimeoutSeconds = holdTimeoutSeconds
        self.whenOutOfCredits = whenOutOfCredits
    }

    public func validate() throws(LedgerRefusal) {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        guard (Limits.holdTimeoutSecondsMin...Limits.holdTimeoutSecondsMax).contains(holdTimeoutSeconds) else {
            throw .invalid(
                "holdTimeoutSeconds must be between \(Limits.holdTimeoutSecondsMin) and \(Limits.holdTimeoutSecondsMax)"
            )
        }
    }
}

/// Event ids the store gives to what it records itself. They hold a `/`, which client event ids may not
/// (`Limits.checkIdentifier`), so they never collide with a client's.
public enum SystemEventID {
    /// Dialing started through `startDialing`.
    public static func dial(_ attemptId: AttemptID) -> String { "dial/" + attemptId }
    /// A cancel through `cancelAttempt` or `cancelWaitingAttempts`.
    public static func cancel(_ attemptId: AttemptID) -> String { "cancel/" + attemptId }
    /// The sweeper released the attempt's hold by its timeout.
    public static func timeout(_ attemptId: AttemptID) -> String { "timeout/" + attemptId }
}

/// One outcome event for one attempt, from the API, a provider callback or the campaign runner.
public struct AttemptEventCommand: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var attemptId: AttemptID
    /// The sender's id for the event: its idempotency key within the workspace.
    public var eventId: String
    public var event: AttemptEvent
    /// Who reported it (`api`, `twilio`, `runner`, `simulator`), kept with the event record.
    public var source: String

    public init(
        workspaceId: WorkspaceID, attemptId: AttemptID, eventId: String, event: AttemptEvent, source: String = "api"
    ) {
        self.workspaceId = workspaceId
        self.attemptId = attemptId
        self.eventId = eventId
        self.event = event
        self.source = source
    }

    /// Checks the event id and refuses what only the store itself may record (hold timeouts).
    public func validate() throws(LedgerRefusal) {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        try Limits.checkIdentifier(eventId, field: "eventId")
        guard !source.isEmpty, source.utf8.count <= 32 else { throw .invalid("source must be 1 to 32 characters") }
        if case .holdTimeout = event {
            throw .invalid("hold timeouts are recorded by the hold sweeper, not sent as events")
        }
    }
}

/// What an attempt operation did: the attempt after it, how the event was taken, and the ledger
/// operation performed with it (in the same transaction).
public struct AttemptUpdate: Hashable, Sendable, Codable {
    public var attempt: CallAttempt
    public var disposition: AttemptEventDisposition
    /// The ledger operation performed: `hold`, `capture`, `release` or `none`.
    public var ledgerAction: AttemptLedgerAction
    /// The same request (attempt id, event id) was handled before; nothing changed now.
    public var replayed: Bool

    public init(
        attempt: CallAttempt, disposition: AttemptEventDisposition, ledgerAction: AttemptLedgerAction,
        replayed: Bool
    ) {
        self.attempt = attempt
        self.disposition = disposition
        self.ledgerAction = ledgerAction
        self.replayed = replayed
    }
}

/// One event as recorded for an attempt.
public struct AttemptEventRecord: Hashable, Sendable, Codable {
    public var eventId: String
    public var attemptId: AttemptID
    /// `AttemptEvent.code`.
    public var event: String
    public var source: String
    public var disposition: AttemptEventDisposition
    public var ledgerAction: AttemptLedgerAction
    public var receivedAt: Date

    public init(
        eventId: String, attemptId: AttemptID, event: String, source: String,
        disposition: AttemptEventDisposition, ledgerAction: AttemptLedgerAction, receivedAt: Date
    ) {
        self.eventId = eventId
        self.attemptId = attemptId
        self.event = event
        self.source = source
        self.disposition = disposition
        self.ledgerAction = ledgerAction
        self.receivedAt = receivedAt
    }
}

/// Which attempts to list.
public struct AttemptQuery: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var campaignId: CampaignID?
    public var recipientId: RecipientID?
    public var walletId: WalletID?
    /// Only attempts in one of these statuses; empty: any.
    public var statuses: Set<AttemptStatus>
    /// Only attempts flagged (or not flagged) for reconciliation.
    public var needsReconciliation: Bool?
    public var limit: Int
    /// Cursor: attempts with an id after this one.
    public var after: AttemptID?

    public init(
        workspaceId: WorkspaceID, campaignId: CampaignID? = nil, recipientId: RecipientID? = nil,
        walletId: WalletID? = nil, statuses: Set<AttemptStatus> = [], needsReconciliation: Bool? = nil,
        limit: Int = Limits.pageSizeDefault, after: AttemptID? = nil
    ) {
        self.workspaceId = workspaceId
        self.campaignId = campaignId
        self.recipientId = recipientId
        self.walletId = walletId
        self.statuses = statuses
        self.needsReconciliation = needsReconciliation
        self.limit = limit
        self.after = after
    }

    public func validate() throws(LedgerRefusal) {
        guard (1...Limits.pageSizeMax).contains(limit) else {
            throw .invalid("limit must be between 1 and \(Limits.pageSizeMax)")
        }
        if let campaignId { try Limits.checkIdentifier(campaignId, field: "campaignId") }
        if let recipientId { try Limits.checkIdentifier(recipientId, field: "recipientId") }
        if let walletId { try Limits.checkIdentifier(walletId, field: "walletId") }
        if let after { try Limits.checkIdentifier(after, field: "cursor") }
    }
}

/// A page of attempts in id order; `nextCursor` continues after the last one.
public struct AttemptPage: Hashable, Sendable, Codable {
    public var attempts: [CallAttempt]
    public var nextCursor: AttemptID?

    public init(attempts: [CallAttempt], nextCursor: AttemptID?) {
        self.attempts = attempts
        self.nextCursor = nextCursor
    }

    /// Cuts a page from `limit + 1` rows fetched in id order.
    public init(fetched: [CallAttempt], limit: Int) {
        self.attempts = Array(fetched.prefix(limit))
        self.nextCursor = fetched.count > limit ? attempts.last?.id : nil
    }
}
