import CreditsCore
import Foundation

/// The reference store: every rule of `Ledger` over plain dictionaries, one actor-isolated step at a time.
/// It defines the behaviour the other backends must match in the conformance suite.
public actor MemoryStore: CreditsStore {
    // Internal, not private: the capabilities' extensions (MemoryStore+Calls.swift, …) use the ledger's state.
    let clock: any CreditsClock
    let ids: any IDSource
    var workspaces: [WorkspaceID: Workspace] = [:]
    var wallets: [WalletID: Wallet] = [:]
    var lots: [LotID: Lot] = [:]
    var holds: [HoldID: Hold] = [:]
    var holdsByAttempt: [String: HoldID] = [:]
    var entries: [LedgerEntry] = []
    /// Keys by hash. Internal: the team extension adds and revokes members' keys.
    var keys: [String: APIKey] = [:]
    /// Internal: the billing extensions store their grants' results under their idempotency keys.
    var idempotency: [String: IdempotencyRecord] = [:]
    /// Plans, subscriptions, packages and purchases (MemoryStore+Billing.swift, MemoryStore+Purchases.swift).
    var billing = MemoryBillingState()
    /// Call attempts, their events, the usage rollups and the Do Not Call lists (MemoryStore+Calls.swift).
    var calls = MemoryCallState()
    /// Campaigns and their recipients (MemoryStore+Campaigns.swift).
    var campaignTables = CampaignTables()
    /// Endpoints, settings, events, deliveries and alert states (MemoryStore+Notifications.swift).
    var notifications = MemoryNotificationTables()
    /// People, invitations and the audit log (MemoryStore+Team.swift).
    var team = MemoryTeamTables()
    /// Portal sign-ins and sessions (MemoryStore+Portal.swift).
    var portal = MemoryPortalTables()

    public init(clock: any CreditsClock = SystemClock(), ids: any IDSource = TimeOrderedIDs()) {
        self.clock = clock
        self.ids = ids
    }

    public func migrate() async throws {}

    public func createWorkspace(_ new: NewWorkspace) async throws -> CreatedWorkspace {
        try new.validate()
        let now = clock.now()
        let workspace = Workspace(id: ids.next(.workspace), name: new.name, timeZone: new.timeZone, createdAt: now)
        let pool = Wallet(id: ids.next(.wallet), workspaceId: workspace.id, kind: .pool, createdAt: now)
        let owner = Person(
            id: ids.next(.person), workspaceId: workspace.id, email: new.ownerEmail.map(EmailAddress.normalized),
            role: .owner, walletId: nil, joinedAt: now)
        let key = makeKey(workspaceId: workspace.id, new.firstKey, person: owner, now: now)
        workspaces[workspace.id] = workspace
        wallets[pool.id] = pool
        team.people[owner.id] = owner
        keys[key.hash] = key
        return CreatedWorkspace(workspace: workspace, pool: pool, key: key, owner: owner)
    }

    public func workspace(id: WorkspaceID) async throws -> Workspace? { workspaces[id] }

    public func wallets(workspaceId: WorkspaceID) async throws -> [Wallet] {
        wallets.values.filter { $0.workspaceId == workspaceId }.sorted { $0.id < $1.id }
    }

    public func createAPIKey(workspaceId: WorkspaceID, _ key: NewAPIKey) async throws -> APIKey {
        guard workspaces[workspaceId] != nil else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        let person = try keyHolder(workspaceId, key.personId)
        let stored = makeKey(workspaceId: workspaceId, key, person: person, now: clock.now())
        keys[stored.hash] = stored
        return stored
    }

    public func apiKey(hash: String) async throws -> APIKey? { keys[hash] }

    public func apiKeys(workspaceId: WorkspaceID) async throws -> [APIKey] {
        keys.values.filter { $0.workspaceId == workspaceId }.sorted { $0.id < $1.id }
    }

    public func revokeAPIKey(workspaceId: WorkspaceID, keyId: String) async throws -> APIKey? {
        guard var key = keys.values.first(where: { $0.id == keyId && $0.workspaceId == workspaceId }) else {
            return nil
        }
        if key.revokedAt == nil { key.revokedAt = clock.now() }
        keys[key.hash] = key
        return key
    }

    func makeKey(workspaceId: WorkspaceID, _ key: NewAPIKey, person: Person, now: Date) -> APIKey {
        APIKey(
            id: ids.next(.apiKey), workspaceId: workspaceId, name: key.name, prefix: key.prefix, hash: key.hash,
            createdAt: now, personId: person.id, role: person.role)
    }

    // MARK: Ledger

    public func credit(_ command: CreditCommand) async throws -> CreditResult {
        try command.validate()
        let wallet = try ownWallet(command.workspaceId, command.walletId)
        let recordKey = command.workspaceId + "/" + command.idempotencyKey
        if let record = idempotency[recordKey] {
            var result = try record.replay(fingerprint: command.fingerprint, as: CreditResult.self)
            result.replayed = true
            return result
        }
        let now = clock.now()
        let (result, change) = try Ledger.credit(
            command, wallet: wallet, lots: spendableLots(wallet.id), now: now, ids: ids)
        apply(change)
        idempotency[recordKey] = IdempotencyRecord(
            workspaceId: command.workspaceId, key: command.idempotencyKey, fingerprint: command.fingerprint,
            result: try JSONEncoder.ledger.encode(result), createdAt: now)
        return result
    }

    public func hold(_ command: HoldCommand) async throws -> HoldResult {
        try command.validate()
        let wallet = try ownWallet(command.workspaceId, command.walletId)
        let existing = holdsByAttempt[command.workspaceId + "/" + command.attemptId].flatMap { holds[$0] }
        let (result, change) = try Ledger.hold(
            command, wallet: wallet, existing: existing, lots: spendableLots(wallet.id), now: clock.now(), ids: ids)
        apply(change)
        return result
    }

    public func capture(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> HoldResult {
        let hold = try existingHold(workspaceId, attemptId)
        let (result, change) = try Ledger.capture(
            hold, lot: hold.lotId.flatMap { lots[$0] }, lots: spendableLots(hold.walletId), now: clock.now(), ids: ids)
        apply(change)
        return result
    }

    public func release(
        workspaceId: WorkspaceID, attemptId: AttemptID, reason: ReleaseReason
    ) async throws -> HoldResult {
        let hold = try existingHold(workspaceId, attemptId)
        let (result, change) = try Ledger.release(
            hold, lot: hold.lotId.flatMap { lots[$0] }, reason: reason, now: clock.now(), ids: ids)
        apply(change)
        return result
    }

    public func hold(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> Hold? {
        holdsByAttempt[workspaceId + "/" + attemptId].flatMap { holds[$0] }
    }

    public func balance(workspaceId: WorkspaceID, walletId: WalletID) async throws -> Balance {
        let wallet = try ownWallet(workspaceId, walletId)
        return Balance(walletId: wallet.id, lots: lots.values.filter { $0.walletId == wallet.id }, now: clock.now())
    }

    public func entries(_ query: EntryQuery) async throws -> EntryPage {
        try query.validate()
        let matching =
            entries
            .filter {
                $0.workspaceId == query.workspaceId && (query.walletId == nil || $0.walletId == query.walletId)
                    && (query.attemptId == nil || $0.attemptId == query.attemptId)
                    && (query.before == nil || $0.id < query.before!)
            }
            .sorted { $0.id > $1.id }
        return EntryPage(fetched: Array(matching.prefix(query.limit + 1)), limit: query.limit)
    }

    // MARK: Background work

    public func expireLots(limit: Int) async throws -> Int {
        let now = clock.now()
        let due = lots.values.filter { $0.isExpired(at: now) && $0.remaining > .zero }
            .sorted { $0.id < $1.id }.prefix(limit)
        for lot in due { apply(Ledger.expire(lot, now: now, ids: ids)) }
        return due.count
    }

    public func releaseTimedOutHolds(limit: Int) async throws -> [Hold] {
        let now = clock.now()
        let due = holds.values.filter { $0.state == .held && $0.expiresAt <= now }
            .sorted { $0.id < $1.id }.prefix(limit)
        var released: [Hold] = []
        for hold in due {
            let (result, change) = try Ledger.release(
                hold, lot: hold.lotId.flatMap { lots[$0] }, reason: .timeout, now: now, ids: ids)
            apply(change)
            // The attempt of the hold (if any) follows in the same step: Calling, needs reconciliation.
            attemptTimedOut(result.hold, now: now)
            released.append(result.hold)
        }
        return released
    }

    public func verify() async throws -> [Discrepancy] {
        Verification.check(lots: Array(lots.values), holds: Array(holds.values), entries: entries)
    }

    // MARK: Helpers

    func ownWallet(_ workspaceId: WorkspaceID, _ walletId: WalletID) throws(LedgerRefusal) -> Wallet {
        guard workspaces[workspaceId] != nil else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        guard let wallet = wallets[walletId], wallet.workspaceId == workspaceId else {
            throw LedgerRefusal(.walletNotFound, "no wallet \(walletId) in this workspace")
        }
        return wallet
    }

    private func existingHold(_ workspaceId: WorkspaceID, _ attemptId: AttemptID) throws(LedgerRefusal) -> Hold {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        guard let id = holdsByAttempt[workspaceId + "/" + attemptId], let hold = holds[id] else {
            throw LedgerRefusal(.unknownAttempt, "no hold for attempt \(attemptId)")
        }
        return hold
    }

    func spendableLots(_ walletId: WalletID) -> [Lot] {
        lots.values.filter { $0.walletId == walletId && $0.remaining > .zero }
    }

    func apply(_ change: LedgerChange) {
        for lot in change.insertedLots + change.updatedLots { lots[lot.id] = lot }
        for hold in change.insertedHolds + change.updatedHolds {
            holds[hold.id] = hold
            holdsByAttempt[hold.workspaceId + "/" + hold.attemptId] = hold.id
        }
        entries += change.entries
    }
}
