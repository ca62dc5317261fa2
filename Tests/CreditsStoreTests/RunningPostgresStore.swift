import CreditsCore
import CreditsPostgres
import CreditsStore
import Foundation

/// A PostgreSQL store that runs its own connection pool for as long as the store itself is referenced.
///
/// Tying the pool to a fixture instead hung tests: Swift may release a value after its last use, so a
/// test that kept only `fixture.store` lost the pool mid-test, and PostgresNIO then waits forever for a
/// connection. The store is what every test holds until its last query, so the pool lives with it.
final class RunningPostgresStore: ServiceStore {
    let base: PostgresStore
    /// The database's URL, for a second store on the same data.
    let url: String?
    private let pool: Task<Void, any Error>

    init(_ base: PostgresStore, url: String? = nil) {
        self.base = base
        self.url = url
        pool = Task { try await base.run() }
    }

    deinit { pool.cancel() }

    func migrate() async throws { try await base.migrate() }
    func createWorkspace(_ new: NewWorkspace) async throws -> CreatedWorkspace { try await base.createWorkspace(new) }
    func workspace(id: WorkspaceID) async throws -> Workspace? { try await base.workspace(id: id) }
    func wallets(workspaceId: WorkspaceID) async throws -> [Wallet] { try await base.wallets(workspaceId: workspaceId) }

    func createAPIKey(workspaceId: WorkspaceID, _ key: NewAPIKey) async throws -> APIKey {
        try await base.createAPIKey(workspaceId: workspaceId, key)
    }

    func apiKey(hash: String) async throws -> APIKey? { try await base.apiKey(hash: hash) }
    func apiKeys(workspaceId: WorkspaceID) async throws -> [APIKey] { try await base.apiKeys(workspaceId: workspaceId) }

    func revokeAPIKey(workspaceId: WorkspaceID, keyId: String) async throws -> APIKey? {
        try await base.revokeAPIKey(workspaceId: workspaceId, keyId: keyId)
    }

    func credit(_ command: CreditCommand) async throws -> CreditResult { try await base.credit(command) }
    func hold(_ command: HoldCommand) async throws -> HoldResult { try await base.hold(command) }

    func capture(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> HoldResult {
        try await base.capture(workspaceId: workspaceId, attemptId: attemptId)
    }

    func release(workspaceId: WorkspaceID, attemptId: AttemptID, reason: ReleaseReason) async throws -> HoldResult {
        try await base.release(workspaceId: workspaceId, attemptId: attemptId, reason: reason)
    }

    func hold(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> Hold? {
        try await base.hold(workspaceId: workspaceId, attemptId: attemptId)
    }

    func balance(workspaceId: WorkspaceID, walletId: WalletID) async throws -> Balance {
        try await base.balance(workspaceId: workspaceId, walletId: walletId)
    }

    func entries(_ query: EntryQuery) async throws -> EntryPage { try await base.entries(query) }
    func expireLots(limit: Int) async throws -> Int { try await base.expireLots(limit: limit) }
    func releaseTimedOutHolds(limit: Int) async throws -> [Hold] { try await base.releaseTimedOutHolds(limit: limit) }
    func verify() async throws -> [Discrepancy] { try await base.verify() }
}

extension RunningPostgresStore {
    func createCampaign(_ new: NewCampaign) async throws -> Campaign { try await base.createCampaign(new) }

    func campaign(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> Campaign? {
        try await base.campaign(workspaceId: workspaceId, campaignId: campaignId)
    }

    func campaigns(workspaceId: WorkspaceID, limit: Int, before: CampaignID?) async throws -> CampaignPage {
        try await base.campaigns(workspaceId: workspaceId, limit: limit, before: before)
    }

    func editCampaign(workspaceId: WorkspaceID, campaignId: CampaignID, _ edit: CampaignEdit) async throws -> Campaign {
        try await base.editCampaign(workspaceId: workspaceId, campaignId: campaignId, edit)
    }

    func applyCampaignAction(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ action: CampaignAction
    ) async throws -> Campaign {
        try await base.applyCampaignAction(workspaceId: workspaceId, campaignId: campaignId, action)
    }

    func addRecipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ recipients: [Recipient], singleCall: Bool
    ) async throws -> RecipientsAdded {
        try await base.addRecipients(
            workspaceId: workspaceId, campaignId: campaignId, recipients, singleCall: singleCall)
    }

    func recipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, after: Int?, limit: Int
    ) async throws -> RecipientPage {
        try await base.recipients(workspaceId: workspaceId, campaignId: campaignId, after: after, limit: limit)
    }

    func recipientNumbers(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> [[String]] {
        try await base.recipientNumbers(workspaceId: workspaceId, campaignId: campaignId)
    }

    func dueCampaigns(limit: Int) async throws -> [CampaignKey] {
        try await base.dueCampaigns(limit: limit)
    }

    func activeRecipients(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> [CampaignRecipient] {
        try await base.activeRecipients(workspaceId: workspaceId, campaignId: campaignId)
    }

    func claimRecipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, now: Date, limit: Int
    ) async throws -> RecipientClaim {
        try await base.claimRecipients(workspaceId: workspaceId, campaignId: campaignId, now: now, limit: limit)
    }

    func recordOutcomes(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ outcomes: [AttemptOutcome]
    ) async throws -> Campaign {
        try await base.recordOutcomes(workspaceId: workspaceId, campaignId: campaignId, outcomes)
    }
}
