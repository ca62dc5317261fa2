import Foundation

/// One customer: one subscription, one owner, zero or more members.
public struct Workspace: Hashable, Sendable, Codable {
    public var id: WorkspaceID
    public var name: String
    /// IANA time zone in which billing cycles and calling hours are computed.
    public var timeZone: String
    public var createdAt: Date

    public init(id: WorkspaceID, name: String, timeZone: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.timeZone = timeZone
        self.createdAt = createdAt
    }
}

/// Whose credits a wallet holds.
public enum WalletKind: String, Hashable, Sendable, Codable {
    /// The workspace's pool, spent by the owner's campaigns.
    case pool
    /// One member's wallet (teams).
    case member
}

/// Where lots live. A workspace has one pool and one wallet per member.
public struct Wallet: Hashable, Sendable, Codable {
    public var id: WalletID
    public var workspaceId: WorkspaceID
    public var kind: WalletKind
    /// The member this wallet belongs to; nil for the pool.
    public var memberId: String?
    public var createdAt: Date

    public init(id: WalletID, workspaceId: WorkspaceID, kind: WalletKind, memberId: String? = nil, createdAt: Date) {
        self.id = id
        self.workspaceId = workspaceId
        self.kind = kind
        self.memberId = memberId
        self.createdAt = createdAt
    }
}

/// Where the credits of a lot came from.
public enum LotSource: String, Hashable, Sendable, Codable, CaseIterable {
    case planAllotment = "plan_allotment"
    case purchase
    case transfer
    case adjustment
}

/// Credits that arrived together. `remaining` is spendable; `held` is reserved by open holds.
/// amount = remaining + held + captured + expired + debited, which `verify` recomputes from the entries.
public struct Lot: Hashable, Sendable, Codable {
    public var id: LotID
    public var workspaceId: WorkspaceID
    public var walletId: WalletID
    public var source: LotSource
    public var amount: Credits
    public var remaining: Credits
    public var held: Credits
    public var effectiveAt: Date
    /// nil: never expires.
    public var expiresAt: Date?
    public var createdAt: Date
    /// What caused the lot (a payment id, a cycle id, …), for support and reconciliation.
    public var reference: String?

    public init(
        id: LotID, workspaceId: WorkspaceID, walletId: WalletID, source: LotSource, amount: Credits,
        remaining: Credits, held: Credits, effectiveAt: Date, expiresAt: Date?, createdAt: Date,
        reference: String? = nil
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.walletId = walletId
        self.source = source
        self.amount = amount
        self.remaining = remaining
        self.held = held
        self.effectiveAt = effectiveAt
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.reference = reference
    }

    /// Whether the lot's time has passed at `now`.
    public func isExpired(at now: Date) -> Bool {
        guard let expiresAt else { return false }
        return expiresAt <= now
    }

    /// Whether credits of this lot may be spent at `now`.
    public func isSpendable(at now: Date) -> Bool {
        remaining > .zero && effectiveAt <= now && !isExpired(at: now)
    }
}

/// Where a hold is in its life. A hold ends exactly once: `held` → `captured` or `released`.
/// The one exception is a hold released by its timeout: a late "connected" then charges it anew
/// (`captured`, late) or, with nothing left to charge, records it as `uncollected`.
public enum HoldState: String, Hashable, Sendable, Codable {
    case held
    case captured
    case released
    case uncollected
}

/// Why a hold was released.
public enum ReleaseReason: String, Hashable, Sendable, Codable, CaseIterable {
    /// The attempt failed to connect.
    case failed
    /// The attempt was cancelled before connection.
    case cancelled
    /// No outcome arrived within the hold's timeout; the attempt needs reconciliation.
    case timeout
    /// The client released it without saying why.
    case released
}

/// One credit reserved for one call attempt while it is dialed.
public struct Hold: Hashable, Sendable, Codable {
    public var id: HoldID
    public var workspaceId: WorkspaceID
    public var walletId: WalletID
    /// The lot the credit came from (for a late capture, the lot that paid it).
    public var lotId: LotID?
    public var attemptId: AttemptID
    public var state: HoldState
    public var createdAt: Date
    /// When the sweeper releases the hold if no outcome arrived.
    public var expiresAt: Date
    public var endedAt: Date?
    public var releaseReason: ReleaseReason?
    /// Set when the hold was released by its timeout: somebody should look at what the call did.
    public var needsReconciliation: Bool

    public init(
        id: HoldID, workspaceId: WorkspaceID, walletId: WalletID, lotId: LotID?, attemptId: AttemptID,
        state: HoldState, createdAt: Date, expiresAt: Date, endedAt: Date? = nil,
        releaseReason: ReleaseReason? = nil, needsReconciliation: Bool = false
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.walletId = walletId
        self.lotId = lotId
        self.attemptId = attemptId
        self.state = state
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.endedAt = endedAt
        self.releaseReason = releaseReason
        self.needsReconciliation = needsReconciliation
    }
}

/// What kind of change an entry records. Each kind has one fixed effect on its lot (see `effect`).
public enum EntryKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// A new lot: plan allotment, purchase or transfer in. Effect: remaining += amount.
    case grant
    /// An operator's correction: a new lot (amount > 0) or a debit from a lot (amount < 0).
    case adjustment
    /// One credit reserved for an attempt. remaining −1, held +1.
    case hold
    /// The held credit is charged. held −1.
    case capture
    /// The held credit goes back to its lot. held −1, remaining +1.
    case release
    /// Credits whose time passed. remaining −amount.
    case expiry
    /// A late "connected" found nothing to charge: recorded, no effect on any lot.
    case uncollected
    /// Credits moved between two wallets of a workspace (teams): a negative entry on the lot they leave and a
    /// positive one creating the lot they arrive in, with the same expiry. Effect: remaining += amount.
    case transfer
}

/// An immutable record of one change to one lot, saying why and for which attempt.
public struct LedgerEntry: Hashable, Sendable, Codable {
    public var id: EntryID
    public var workspaceId: WorkspaceID
    public var walletId: WalletID
    public var lotId: LotID?
    public var holdId: HoldID?
    public var attemptId: AttemptID?
    public var kind: EntryKind
    /// Credits moved, positive except for a debiting adjustment or an outgoing transfer.
    public var amount: Credits
    public var reason: String
    public var createdAt: Date

    public init(
        id: EntryID, workspaceId: WorkspaceID, walletId: WalletID, lotId: LotID?, holdId: HoldID? = nil,
        attemptId: AttemptID? = nil, kind: EntryKind, amount: Credits, reason: String, createdAt: Date
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.walletId = walletId
        self.lotId = lotId
        self.holdId = holdId
        self.attemptId = attemptId
        self.kind = kind
        self.amount = amount
        self.reason = reason
        self.createdAt = createdAt
    }

    /// What this entry does to its lot's `remaining` and `held`.
    public var effect: (remaining: Credits, held: Credits) {
        switch kind {
        case .grant, .adjustment, .transfer: (amount, .zero)
        case .hold: (-amount, amount)
        case .capture: (.zero, -amount)
        case .release: (amount, -amount)
        case .expiry: (-amount, .zero)
        case .uncollected: (.zero, .zero)
        }
    }
}
