import CreditsCore
import Foundation

/// The one storage interface. Every backend (in-memory, SQLite, PostgreSQL) keeps the same rules by
/// loading rows, asking `Ledger` what happens, and writing the `LedgerChange` in one transaction.
///
/// Business refusals are thrown as `LedgerRefusal`; anything else thrown is an infrastructure failure.
/// Every operation reads and writes one workspace only, so a backend may shard by workspace id.
/// Time and identifiers come from the clock and `IDSource` the store was made with.
public protocol CreditsStore: Sendable {
    /// Creates or upgrades the schema; safe to run again and from several processes at once.
    func migrate() async throws

    // MARK: Workspaces and keys

    /// Creates a workspace, its pool wallet and its first API key, atomically.
    func createWorkspace(_ new: NewWorkspace) async throws -> CreatedWorkspace
    func workspace(id: WorkspaceID) async throws -> Workspace?
    func wallets(workspaceId: WorkspaceID) async throws -> [Wallet]
    /// Adds an API key to a workspace.
    func createAPIKey(workspaceId: WorkspaceID, _ key: NewAPIKey) async throws -> APIKey
    /// The key whose secret hashes to `hash`, revoked or not.
    func apiKey(hash: String) async throws -> APIKey?
    func apiKeys(workspaceId: WorkspaceID) async throws -> [APIKey]
    /// Revokes a key; returns nil when the workspace has no such key.
    func revokeAPIKey(workspaceId: WorkspaceID, keyId: String) async throws -> APIKey?

    // MARK: Ledger

    /// Adds a lot or debits lots; idempotent on the command's key.
    @discardableResult
    func credit(_ command: CreditCommand) async throws -> CreditResult
    /// Reserves one credit for an attempt; idempotent on the attempt id.
    @discardableResult
    func hold(_ command: HoldCommand) async throws -> HoldResult
    /// Charges the attempt's held credit; idempotent.
    @discardableResult
    func capture(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> HoldResult
    /// Returns the attempt's held credit; idempotent.
    @discardableResult
    func release(workspaceId: WorkspaceID, attemptId: AttemptID, reason: ReleaseReason) async throws -> HoldResult
    func hold(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> Hold?
    func balance(workspaceId: WorkspaceID, walletId: WalletID) async throws -> Balance
    /// Entries newest first, a page at a time.
    func entries(_ query: EntryQuery) async throws -> EntryPage

    // MARK: Background work

    /// Expires up to `limit` lots whose time has passed; returns how many it expired.
    func expireLots(limit: Int) async throws -> Int
    /// Releases up to `limit` holds whose timeout has passed and marks them for reconciliation.
    func releaseTimedOutHolds(limit: Int) async throws -> [Hold]
    /// Recomputes every lot and hold from the entries; empty when everything agrees.
    func verify() async throws -> [Discrepancy]
}

/// What the operator gives to create a workspace.
public struct NewWorkspace: Hashable, Sendable {
    public var name: String
    public var timeZone: String
    public var firstKey: NewAPIKey
    /// The owner's email address, when the operator knows it.
    public var ownerEmail: String?

    public init(name: String, timeZone: String, firstKey: NewAPIKey, ownerEmail: String? = nil) {
        self.ownerEmail = ownerEmail
        self.name = name
        self.timeZone = timeZone
        self.firstKey = firstKey
    }

    public func validate() throws(LedgerRefusal) {
        guard !name.isEmpty, name.count <= Limits.nameLengthMax else {
            throw .invalid("name must be 1 to \(Limits.nameLengthMax) characters")
        }
        guard TimeZone(identifier: timeZone) != nil else {
            throw .invalid("timeZone must be an IANA time zone such as Europe/Berlin")
        }
        if let ownerEmail { try EmailAddress.check(ownerEmail) }
    }
}

/// A new workspace with its pool, its owner and the owner's first key.
public struct CreatedWorkspace: Hashable, Sendable {
    public var workspace: Workspace
    public var pool: Wallet
    public var key: APIKey
    public var owner: Person

    public init(workspace: Workspace, pool: Wallet, key: APIKey, owner: Person) {
        self.owner = owner
        self.workspace = workspace
        self.pool = pool
        self.key = key
    }
}

/// Which entries to list.
public struct EntryQuery: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var walletId: WalletID?
    public var attemptId: AttemptID?
    public var limit: Int
    /// Cursor: list entries older than this entry id.
    public var before: EntryID?

    public init(
        workspaceId: WorkspaceID, walletId: WalletID? = nil, attemptId: AttemptID? = nil,
        limit: Int = Limits.pageSizeDefault, before: EntryID? = nil
    ) {
        self.workspaceId = workspaceId
        self.walletId = walletId
        self.attemptId = attemptId
        self.limit = limit
        self.before = before
    }

    public func validate() throws(LedgerRefusal) {
        guard (1...Limits.pageSizeMax).contains(limit) else {
            throw .invalid("limit must be between 1 and \(Limits.pageSizeMax)")
        }
        if let attemptId { try Limits.checkIdentifier(attemptId, field: "attemptId") }
        if let before { try Limits.checkIdentifier(before, field: "cursor") }
    }
}

/// A page of entries, newest first; `nextCursor` continues with older ones.
public struct EntryPage: Hashable, Sendable, Codable {
    public var entries: [LedgerEntry]
    public var nextCursor: EntryID?

    public init(entries: [LedgerEntry], nextCursor: EntryID?) {
        self.entries = entries
        self.nextCursor = nextCursor
    }

    /// Cuts a page from `limit + 1` rows fetched newest first.
    public init(fetched: [LedgerEntry], limit: Int) {
        self.entries = Array(fetched.prefix(limit))
        self.nextCursor = fetched.count > limit ? entries.last?.id : nil
    }
}

/// Everything the service needs from its store: the ledger plus each capability's own protocol. Each new
/// capability adds its protocol here (`CreditsStore & CallStore & …`), and every backend conforms.
public typealias ServiceStore = CreditsStore & CallStore & DoNotCallStore & CampaignStore & BillingStore & PurchaseStore
    & NotificationStore & TeamStore & PortalStore
