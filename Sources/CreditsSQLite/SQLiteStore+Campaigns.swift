import CreditsCore
import CreditsStore
import Foundation
import GRDB

extension SQLiteStore: CampaignStore {
    public func createCampaign(_ new: NewCampaign) async throws -> Campaign {
        let (clock, ids, wallets) = (clockSource, idSource, walletCache)
        return try await groupWriter.write { db in
            guard
                let zone = try db.firstRow(
                    "SELECT time_zone FROM workspaces WHERE id = ?", [.text(new.workspaceId)], { $0.text(0) })
            else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
            let walletId = try new.walletId ?? Self.poolWallet(db, new.workspaceId)
            _ = try SQLiteRows.wallet(db, workspaceId: new.workspaceId, walletId: walletId, cache: wallets)
            let campaign = try CampaignSteps.create(
                new, id: ids.next(.campaign), wallet: walletId, timeZone: zone, now: clock.now())
            try CampaignRows.insert(campaign, db)
            return campaign
        }
    }

    public func campaign(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> Campaign? {
        try await readPool.read { db in try CampaignRows.campaign(db, workspaceId, campaignId) }
    }

    public func campaigns(workspaceId: WorkspaceID, limit: Int, before: CampaignID?) async throws -> CampaignPage {
        try CampaignSteps.checkLimit(limit, max: Limits.campaignPageSizeMax)
        return try await readPool.read { db in
            let fetched = try db.rows(
                """
                SELECT \(CampaignRows.columns) FROM campaigns c JOIN workspaces w ON w.id = c.workspace_id
                WHERE c.workspace_id = ? AND (? IS NULL OR c.id < ?) ORDER BY c.id DESC LIMIT ?
                """, [.text(workspaceId), .text(before), .text(before), .integer(Int64(limit + 1))],
                CampaignRows.campaign)
            return CampaignPage(fetched: fetched, limit: limit)
        }
    }

    public func editCampaign(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ edit: CampaignEdit
    ) async throws -> Campaign {
        try await changeCampaign(workspaceId, campaignId) { campaign, now, _ in
            try CampaignSteps.edit(campaign, edit, now: now)
        }
    }

    public func applyCampaignAction(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ action: CampaignAction
    ) async throws -> Campaign {
        try await changeCampaign(workspaceId, campaignId) { current, now, db in
            let campaign = try CampaignRules.apply(action, to: current, now: now)
            guard campaign.status == .cancelled, current.status != .cancelled else { return campaign }
            try db.execute(
                sql: """
                    UPDATE campaign_recipients SET state = 'done', outcome = 'cancelled'
                    WHERE campaign_id = ? AND state = 'pending'
                    """, arguments: [campaignId])
            return CampaignSteps.cancelPending(campaign)
        }
    }

    public func addRecipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ recipients: [Recipient], singleCall: Bool
    ) async throws -> RecipientsAdded {
        let clock = clockSource
        return try await groupWriter.write { db in
            let current = try CampaignRows.existing(db, workspaceId, campaignId)
            let campaign = try CampaignSteps.add(
                recipients.count, to: current, singleCall: singleCall, now: clock.now())
            let firstIndex = current.progress.recipients + 1
            let rows = CampaignSteps.recipients(
                recipients, campaignId: campaignId, firstIndex: firstIndex, singleCall: singleCall)
            let insert = try db.cachedStatement(sql: CampaignRows.insertRecipientSQL)
            for recipient in rows { try RawStatement.execute(insert, CampaignRows.values(recipient, workspaceId)) }
            try CampaignRows.update(campaign, db)
            return RecipientsAdded(campaign: campaign, firstIndex: firstIndex, count: rows.count)
        }
    }

    public func recipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, after: Int?, limit: Int
    ) async throws -> RecipientPage {
        try CampaignSteps.checkLimit(limit, max: Limits.pageSizeMax)
        return try await readPool.read { db in
            _ = try CampaignRows.existing(db, workspaceId, campaignId)
            let fetched = try db.rows(
                """
                SELECT \(CampaignRows.recipientColumns) FROM campaign_recipients
                WHERE campaign_id = ? AND idx > ? ORDER BY idx LIMIT ?
                """, [.text(campaignId), .integer(Int64(after ?? 0)), .integer(Int64(limit + 1))],
                CampaignRows.recipient)
            let page = Array(fetched.prefix(limit))
            return RecipientPage(recipients: page, nextCursor: fetched.count > limit ? page.last?.index : nil)
        }
    }

    public func recipientNumbers(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> [[String]] {
        try await readPool.read { db in
            _ = try CampaignRows.existing(db, workspaceId, campaignId)
            return try db.rows(
                "SELECT numbers FROM campaign_recipients WHERE campaign_id = ? ORDER BY idx", [.text(campaignId)]
            ) { CampaignRows.numbers($0.text(0)) }
        }
    }

    // MARK: The runner

    public func dueCampaigns(limit: Int) async throws -> [CampaignKey] {
        try await readPool.read { db in
            try db.rows(
                """
                SELECT workspace_id, id FROM campaigns
                WHERE status IN ('running', 'scheduled')
                   OR (status = 'paused' AND pause_reason = 'out_of_credits') OR active > 0
                ORDER BY id LIMIT ?
                """, [.integer(Int64(limit))]
            ) { CampaignKey(workspaceId: $0.text(0), campaignId: $0.text(1)) }
        }
    }

    public func activeRecipients(workspaceId: WorkspaceID, campaignId: CampaignID) async throws
        -> [CampaignRecipient]
    {
        try await readPool.read { db in
            _ = try CampaignRows.existing(db, workspaceId, campaignId)
            return try db.rows(
                """
                SELECT \(CampaignRows.recipientColumns) FROM campaign_recipients
                WHERE campaign_id = ? AND state = 'active' ORDER BY idx
                """, [.text(campaignId)], CampaignRows.recipient)
        }
    }

    public func claimRecipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, now: Date, limit: Int
    ) async throws -> RecipientClaim {
        try await groupWriter.write { db in
            var (campaign, take) = CampaignSteps.claim(
                try CampaignRows.existing(db, workspaceId, campaignId), now: now, limit: limit)
            var claimed: [CampaignRecipient] = []
            if take > 0 {
                claimed = try db.rows(
                    """
                    SELECT \(CampaignRows.recipientColumns) FROM campaign_recipients
                    WHERE campaign_id = ? AND state = 'pending' ORDER BY single_call DESC, idx LIMIT ?
                    """, [.text(campaignId), .integer(Int64(take))], CampaignRows.recipient
                ).map(CampaignSteps.activate)
                let activate = try db.cachedStatement(
                    sql: "UPDATE campaign_recipients SET state = 'active' WHERE campaign_id = ? AND idx = ?")
                for recipient in claimed {
                    try RawStatement.execute(activate, [.text(campaignId), .integer(Int64(recipient.index))])
                }
                campaign.progress.started(claimed.count)
            }
            try CampaignRows.update(campaign, db)
            return RecipientClaim(campaign: campaign, claimed: claimed)
        }
    }

    public func recordOutcomes(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ outcomes: [AttemptOutcome]
    ) async throws -> Campaign {
        try await changeCampaign(workspaceId, campaignId) { current, now, db in
            var campaign = current
            let select = try db.cachedStatement(
                sql:
                    "SELECT \(CampaignRows.recipientColumns) FROM campaign_recipients WHERE campaign_id = ? AND idx = ?"
            )
            let update = try db.cachedStatement(
                sql: """
                    UPDATE campaign_recipients SET state = ?, position = ?, outcome = ?
                    WHERE campaign_id = ? AND idx = ?
                    """)
            for outcome in outcomes {
                let key: [SQLValue] = [.text(campaignId), .integer(Int64(outcome.recipientIndex))]
                guard let recipient = try RawStatement.first(select, key, CampaignRows.recipient),
                    let (next, after) = CampaignSteps.record(
                        outcome, recipient: recipient, campaign: campaign, now: now)
                else { continue }
                try RawStatement.execute(
                    update,
                    [.text(next.state.rawValue), .integer(Int64(next.position)), .text(next.outcome?.rawValue)] + key)
                campaign = after
            }
            return campaign
        }
    }

    // MARK: Helpers

    /// Loads the campaign in the writer's transaction, lets `change` decide, and saves what it returns.
    private func changeCampaign(
        _ workspaceId: WorkspaceID, _ campaignId: CampaignID,
        _ change: @escaping @Sendable (Campaign, Date, Database) throws -> Campaign
    ) async throws -> Campaign {
        let clock = clockSource
        return try await groupWriter.write { db in
            let current = try CampaignRows.existing(db, workspaceId, campaignId)
            let campaign = try change(current, clock.now(), db)
            if campaign != current { try CampaignRows.update(campaign, db) }
            return campaign
        }
    }

    private static func poolWallet(_ db: Database, _ workspaceId: WorkspaceID) throws -> WalletID {
        guard
            let pool = try db.firstRow(
                "SELECT id FROM wallets WHERE workspace_id = ? AND kind = 'pool'", [.text(workspaceId)], { $0.text(0) })
        else { throw LedgerRefusal(.walletNotFound, "the workspace has no pool wallet") }
        return pool
    }
}
