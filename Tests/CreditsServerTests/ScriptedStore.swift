import CreditsCore
import CreditsStore
import Foundation

/// A failure no client may see: its text stands in for a database's internal detail.
struct SecretInfrastructureError: Error, CustomStringConvertible {
    var description: String { "connection to postgres://billing:hunter2@db.internal failed" }
}

/// A `MemoryStore` whose chosen operations fail, to drive the API's error paths.
struct ScriptedStore: ServiceStore {
    let inner: MemoryStore
    /// Errors thrown instead of running the operation, by operation name.
    let failures: [String: any Error & Sendable]

    func check(_ operation: String) throws {
        if let error = failures[operation] { throw error }
    }

    func migrate() async throws { try await inner.migrate() }
    func createWorkspace(_ new: NewWorkspace) async throws -> CreatedWorkspace {
        try check("createWorkspace")
        return try await inner.createWorkspace(new)
    }
    func workspace(id: WorkspaceID) async throws -> Workspace? {
        try check("workspace")
        return try await inner.workspace(id: id)
    }
    func wallets(workspaceId: WorkspaceID) async throws -> [Wallet] {
        try await inner.wallets(workspaceId: workspaceId)
    }
    func createAPIKey(workspaceId: WorkspaceID, _ key: NewAPIKey) async throws -> APIKey {
        try await inner.createAPIKey(workspaceId: workspaceId, key)
    }
    func apiKey(hash: String) async throws -> APIKey? { try await inner.apiKey(hash: hash) }
    func apiKeys(workspaceId: WorkspaceID) async throws -> [APIKey] {
        try await inner.apiKeys(workspaceId: workspaceId)
    }
    func revokeAPIKey(workspaceId: WorkspaceID, keyId: String) async throws -> APIKey? {
        try await inner.revokeAPIKey(workspaceId: workspaceId, keyId: keyId)
    }
    func credit(_ command: CreditCommand) async throws -> CreditResult { try await inner.credit(command) }
    func hold(_ command: HoldCommand) async throws -> HoldResult {
        try check("hold")
        return try await inner.hold(command)
    }
    func capture(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> HoldResult {
        try await inner.capture(workspaceId: workspaceId, attemptId: attemptId)
    }
    func release(workspaceId: WorkspaceID, attemptId: AttemptID, reason: ReleaseReason) async throws -> HoldResult {
        try await inner.release(workspaceId: workspaceId, attemptId: attemptId, reason: reason)
    }
    func hold(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> Hold? {
        try await inner.hold(workspaceId: workspaceId, attemptId: attemptId)
    }
    func balance(workspaceId: WorkspaceID, walletId: WalletID) async throws -> Balance {
        try check("balance")
        return try await inner.balance(workspaceId: workspaceId, walletId: walletId)
    }
    func entries(_ query: EntryQuery) async throws -> EntryPage { try await inner.entries(query) }
    func expireLots(limit: Int) async throws -> Int { try await inner.expireLots(limit: limit) }
    func releaseTimedOutHolds(limit: Int) async throws -> [Hold] { try await inner.releaseTimedOutHolds(limit: limit) }
    func verify() async throws -> [Discrepancy] { try await inner.verify() }
}

extension ScriptedStore {
    func createCampaign(_ new: NewCampaign) async throws -> Campaign { try await inner.createCampaign(new) }
    func campaign(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> Campaign? {
        try await inner.campaign(workspaceId: workspaceId, campaignId: campaignId)
    }
    func campaigns(workspaceId: WorkspaceID, limit: Int, before: CampaignID?) async throws -> CampaignPage {
        try await inner.campaigns(workspaceId: workspaceId, limit: limit, before: before)
    }
    func editCampaign(workspaceId: WorkspaceID, campaignId: CampaignID, _ edit: CampaignEdit) async throws -> Campaign {
        try await inner.editCampaign(workspaceId: workspaceId, campaignId: campaignId, edit)
    }
    func applyCampaignAction(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ action: CampaignAction
    ) async throws -> Campaign {
        try await inner.applyCampaignAction(workspaceId: workspaceId, campaignId: campaignId, action)
    }
    func addRecipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ recipients: [Recipient], singleCall: Bool
    ) async throws -> RecipientsAdded {
        try await inner.addRecipients(
            workspaceId: workspaceId, campaignId: campaignId, recipients, singleCall: singleCall)
    }
    func recipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, after: Int?, limit: Int
    ) async throws -> RecipientPage {
        try await inner.recipients(workspaceId: workspaceId, campaignId: campaignId, after: after, limit: limit)
    }
    func recipientNumbers(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> [[String]] {
        try await inner.recipientNumbers(workspaceId: workspaceId, campaignId: campaignId)
    }
    func dueCampaigns(limit: Int) async throws -> [CampaignKey] {
        try await inner.dueCampaigns(limit: limit)
    }
    func activeRecipients(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> [CampaignRecipient] {
        try await inner.activeRecipients(workspaceId: workspaceId, campaignId: campaignId)
    }
    func claimRecipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, now: Date, limit: Int
    ) async throws -> RecipientClaim {
        try await inner.claimRecipients(workspaceId: workspaceId, campaignId: campaignId, now: now, limit: limit)
    }
    func recordOutcomes(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ outcomes: [AttemptOutcome]
    ) async throws -> Campaign {
        try await inner.recordOutcomes(workspaceId: workspaceId, campaignId: campaignId, outcomes)
    }
}
