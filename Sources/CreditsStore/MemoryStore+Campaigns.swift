import CreditsCore
import Foundation

/// The in-memory campaign tables.
struct CampaignTables {
    var campaigns: [CampaignID: Campaign] = [:]
    var recipients: [CampaignID: [CampaignRecipient]] = [:]
    /// Pending recipients by campaign, in claim order: single calls first, then by index.
    var queues: [CampaignID: PendingQueue] = [:]
}

/// Pending recipients in the order they are claimed, without scanning every recipient.
struct PendingQueue {
    /// Single calls waiting, oldest first.
    var singleCalls: [Int] = []
    /// Recipients sent back to pending (their next number), lowest index first.
    var requeued: Set<Int> = []
    /// The lowest index never claimed; every uploaded recipient from here on is pending.
    var nextFresh = 1
    var uploaded = 0

    mutating func next() -> Int? {
        if !singleCalls.isEmpty { return singleCalls.removeFirst() }
        if let lowest = requeued.min() {
            requeued.remove(lowest)
            return lowest
        }
        guard nextFresh <= uploaded else { return nil }
        defer { nextFresh += 1 }
        return nextFresh
    }
}

extension MemoryStore: CampaignStore {
    public func createCampaign(_ new: NewCampaign) async throws -> Campaign {
        guard let workspace = workspaces[new.workspaceId] else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        let walletId = try campaignWallet(new.workspaceId, new.walletId)
        let campaign = try CampaignSteps.create(
            new, id: ids.next(.campaign), wallet: walletId, timeZone: workspace.timeZone, now: clock.now())
        campaignTables.campaigns[campaign.id] = campaign
        campaignTables.recipients[campaign.id] = []
        campaignTables.queues[campaign.id] = PendingQueue()
        return campaign
    }

    public func campaign(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> Campaign? {
        campaignTables.campaigns[campaignId].flatMap { $0.workspaceId == workspaceId ? $0 : nil }
    }

    public func campaigns(workspaceId: WorkspaceID, limit: Int, before: CampaignID?) async throws -> CampaignPage {
        try CampaignSteps.checkLimit(limit, max: Limits.campaignPageSizeMax)
        let fetched = campaignTables.campaigns.values
            .filter { $0.workspaceId == workspaceId && (before == nil || $0.id < before!) }
            .sorted { $0.id > $1.id }
            .prefix(limit + 1)
        return CampaignPage(fetched: Array(fetched), limit: limit)
    }

    public func editCampaign(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ edit: CampaignEdit
    ) async throws -> Campaign {
        let campaign = try CampaignSteps.edit(try ownCampaign(workspaceId, campaignId), edit, now: clock.now())
        campaignTables.campaigns[campaignId] = campaign
        return campaign
    }

    public func applyCampaignAction(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ action: CampaignAction
    ) async throws -> Campaign {
        let current = try ownCampaign(workspaceId, campaignId)
        var campaign = try CampaignRules.apply(action, to: current, now: clock.now())
        if campaign.status == .cancelled && current.status != .cancelled {
            campaign = CampaignSteps.cancelPending(campaign)
            campaignTables.queues[campaignId] = PendingQueue()
            campaignTables.recipients[campaignId] = campaignTables.recipients[campaignId]?.map { recipient in
                guard recipient.state == .pending else { return recipient }
                var cancelled = recipient
                cancelled.state = .done
                cancelled.outcome = .cancelled
                return cancelled
            }
        }
        campaignTables.campaigns[campaignId] = campaign
        return campaign
    }

    public func addRecipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ recipients: [Recipient], singleCall: Bool
    ) async throws -> RecipientsAdded {
        let current = try ownCampaign(workspaceId, campaignId)
        let campaign = try CampaignSteps.add(recipients.count, to: current, singleCall: singleCall, now: clock.now())
        let firstIndex = current.progress.recipients + 1
        let added = CampaignSteps.recipients(
            recipients, campaignId: campaignId, firstIndex: firstIndex, singleCall: singleCall)
        campaignTables.recipients[campaignId, default: []] += added
        if singleCall {
            campaignTables.queues[campaignId]?.singleCalls += added.map(\.index)
        } else {
            campaignTables.queues[campaignId]?.uploaded = campaign.progress.recipients
        }
        campaignTables.campaigns[campaignId] = campaign
        return RecipientsAdded(campaign: campaign, firstIndex: firstIndex, count: added.count)
    }

    public func recipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, after: Int?, limit: Int
    ) async throws -> RecipientPage {
        try CampaignSteps.checkLimit(limit, max: Limits.pageSizeMax)
        _ = try ownCampaign(workspaceId, campaignId)
        let all = campaignTables.recipients[campaignId] ?? []
        let start = min(max(after ?? 0, 0), all.count)
        let page = Array(all[start..<min(start + limit, all.count)])
        let next = start + limit < all.count ? page.last?.index : nil
        return RecipientPage(recipients: page, nextCursor: next)
    }

    public func recipientNumbers(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> [[String]] {
        _ = try ownCampaign(workspaceId, campaignId)
        return (campaignTables.recipients[campaignId] ?? []).map(\.numbers)
    }

    // MARK: The runner

    public func dueCampaigns(limit: Int) async throws -> [CampaignKey] {
        campaignTables.campaigns.values
            .filter(Self.hasWork)
            .sorted { $0.id < $1.id }
            .prefix(limit)
            .map { CampaignKey(workspaceId: $0.workspaceId, campaignId: $0.id) }
    }

    public func activeRecipients(workspaceId: WorkspaceID, campaignId: CampaignID) async throws
        -> [CampaignRecipient]
    {
        _ = try ownCampaign(workspaceId, campaignId)
        return (campaignTables.recipients[campaignId] ?? []).filter { $0.state == .active }
    }

    public func claimRecipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, now: Date, limit: Int
    ) async throws -> RecipientClaim {
        var (campaign, take) = CampaignSteps.claim(try ownCampaign(workspaceId, campaignId), now: now, limit: limit)
        var claimed: [CampaignRecipient] = []
        while claimed.count < take, let index = campaignTables.queues[campaignId]?.next() {
            let recipient = CampaignSteps.activate(campaignTables.recipients[campaignId]![index - 1])
            campaignTables.recipients[campaignId]![index - 1] = recipient
            claimed.append(recipient)
        }
        take = claimed.count
        campaign.progress.started(take)
        campaignTables.campaigns[campaignId] = campaign
        return RecipientClaim(campaign: campaign, claimed: claimed)
    }

    public func recordOutcomes(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ outcomes: [AttemptOutcome]
    ) async throws -> Campaign {
        var campaign = try ownCampaign(workspaceId, campaignId)
        let now = clock.now()
        for outcome in outcomes {
            let slot = outcome.recipientIndex - 1
            guard let recipients = campaignTables.recipients[campaignId], recipients.indices.contains(slot),
                let (recipient, next) = CampaignSteps.record(
                    outcome, recipient: recipients[slot], campaign: campaign, now: now)
            else { continue }
            campaignTables.recipients[campaignId]![slot] = recipient
            if recipient.state == .pending { campaignTables.queues[campaignId]?.requeued.insert(recipient.index) }
            campaign = next
        }
        campaignTables.campaigns[campaignId] = campaign
        return campaign
    }

    // MARK: Helpers

    /// Whether the runner has work for `campaign` (see `CampaignStore.dueCampaigns`).
    static func hasWork(_ campaign: Campaign) -> Bool {
        switch campaign.status {
        case .running, .scheduled: true
        case .paused: campaign.pauseReason == .outOfCredits || campaign.progress.active > 0
        case .draft: false
        case .cancelled, .completed: campaign.progress.active > 0
        }
    }

    private func ownCampaign(_ workspaceId: WorkspaceID, _ campaignId: CampaignID) throws -> Campaign {
        guard let campaign = campaignTables.campaigns[campaignId], campaign.workspaceId == workspaceId else {
            throw CampaignRefusal(.campaignNotFound, "no campaign \(campaignId) in this workspace")
        }
        return campaign
    }

    /// The wallet a new campaign draws from: the one named, or the pool.
    private func campaignWallet(_ workspaceId: WorkspaceID, _ walletId: WalletID?) throws -> WalletID {
        let own = wallets.values.filter { $0.workspaceId == workspaceId }
        if let walletId {
            guard own.contains(where: { $0.id == walletId }) else {
                throw LedgerRefusal(.walletNotFound, "no wallet \(walletId) in this workspace")
            }
            return walletId
        }
        guard let pool = own.first(where: { $0.kind == .pool }) else {
            throw LedgerRefusal(.walletNotFound, "the workspace has no pool wallet")
        }
        return pool.id
    }
}
