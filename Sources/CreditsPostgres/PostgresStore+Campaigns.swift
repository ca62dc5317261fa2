import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

/// Campaigns on PostgreSQL. Every change locks the campaign row first (`FOR NO KEY UPDATE OF c`), so two
/// service instances claiming recipients or recording outcomes take turns per campaign: a recipient is
/// claimed once, and counters move once per recorded outcome.
extension PostgresStore: CampaignStore {
    /// Recipients inserted per statement (arrays bound once each).
    static let recipientInsertChunk = 5_000

    public func createCampaign(_ new: NewCampaign) async throws -> Campaign {
        let now = now()
        return try await transaction("createCampaign", .notIdempotent) { connection in
            guard
                let zone = try await rows(
                    "SELECT time_zone FROM workspaces WHERE workspace_id = \(new.workspaceId)", on: connection
                ).first?.decode(String.self)
            else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
            var walletId = new.walletId ?? ""
            if new.walletId == nil { walletId = try await poolWallet(new.workspaceId, on: connection) }
            _ = try await wallet(new.workspaceId, walletId, locking: false, on: connection)
            let campaign = try CampaignSteps.create(
                new, id: ids.next(.campaign), wallet: walletId, timeZone: zone, now: now)
            let values = CampaignColumns.values(campaign)
            try await execute(
                """
                INSERT INTO campaigns (workspace_id, id, wallet_id, created_at_ms, \(unescaped: CampaignColumns.mutable))
                VALUES (\(campaign.workspaceId), \(campaign.id), \(campaign.walletId), \(campaign.createdAt.millis), \
                \(values.name), \(values.status), \(values.pauseReason), \(values.creditCap), \(values.activeDays), \
                \(values.callingStart), \(values.callingEnd), \(values.dailyLimit), \(values.lines), \
                \(values.averageCall), \(values.launchAt), \(values.acknowledged), \(values.recipients), \
                \(values.active), \(values.done), \(values.answered), \(values.attemptsDialed), \
                \(values.creditsSpent), \(values.dialDay), \(values.dialedOnDay), \(values.updatedAt), \
                \(values.startedAt), \(values.endedAt))
                """, on: connection)
            return campaign
        }
    }

    public func campaign(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> Campaign? {
        try await read("campaign") { connection in
            try await campaign(workspaceId, campaignId, locking: false, on: connection)
        }
    }

    public func campaigns(workspaceId: WorkspaceID, limit: Int, before: CampaignID?) async throws -> CampaignPage {
        try CampaignSteps.checkLimit(limit, max: Limits.campaignPageSizeMax)
        return try await read("campaigns") { connection in
            let fetched = try await rows(
                """
                SELECT \(unescaped: CampaignColumns.select) FROM campaigns c
                JOIN workspaces w ON w.workspace_id = c.workspace_id
                WHERE c.workspace_id = \(workspaceId) AND (\(before)::text IS NULL OR c.id < \(before))
                ORDER BY c.id DESC LIMIT \(limit + 1)
                """, on: connection
            ).map(CampaignColumns.campaign)
            return CampaignPage(fetched: fetched, limit: limit)
        }
    }

    public func editCampaign(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ edit: CampaignEdit
    ) async throws -> Campaign {
        try await changeCampaign("editCampaign", workspaceId, campaignId) { campaign, now, _ in
            try CampaignSteps.edit(campaign, edit, now: now)
        }
    }

    public func applyCampaignAction(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ action: CampaignAction
    ) async throws -> Campaign {
        try await changeCampaign("applyCampaignAction", workspaceId, campaignId) { current, now, connection in
            let campaign = try CampaignRules.apply(action, to: current, now: now)
            guard campaign.status == .cancelled, current.status != .cancelled else { return campaign }
            try await self.execute(
                """
                UPDATE campaign_recipients SET state = 'done', outcome = 'cancelled'
                WHERE workspace_id = \(workspaceId) AND campaign_id = \(campaignId) AND state = 'pending'
                """, on: connection)
            return CampaignSteps.cancelPending(campaign)
        }
    }

    public func addRecipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ recipients: [Recipient], singleCall: Bool
    ) async throws -> RecipientsAdded {
        let now = now()
        return try await transaction("addRecipients") { connection in
            let current = try await existingCampaign(workspaceId, campaignId, on: connection)
            let campaign = try CampaignSteps.add(recipients.count, to: current, singleCall: singleCall, now: now)
            let firstIndex = current.progress.recipients + 1
            let rows = CampaignSteps.recipients(
                recipients, campaignId: campaignId, firstIndex: firstIndex, singleCall: singleCall)
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(start + Self.recipientInsertChunk, rows.count)]
                // Arrays of optionals are not bound: 0 and '' stand for NULL and NULLIF restores it.
                try await execute(
                    """
                    INSERT INTO campaign_recipients (workspace_id, campaign_id, idx, row, first_name, last_name, name,
                                                     numbers, state, position, single_call)
                    SELECT \(workspaceId), \(campaignId), idx, NULLIF(row, 0), NULLIF(first_name, ''),
                           NULLIF(last_name, ''), NULLIF(name, ''), numbers, 'pending', 1, \(singleCall)
                    FROM unnest(\(chunk.map(\.index)), \(chunk.map { $0.row ?? 0 }), \
                    \(chunk.map { $0.firstName ?? "" }), \(chunk.map { $0.lastName ?? "" }), \
                    \(chunk.map { $0.name ?? "" }), \(chunk.map { $0.numbers.joined(separator: ",") }))
                        AS r(idx, row, first_name, last_name, name, numbers)
                    """, on: connection)
                start += Self.recipientInsertChunk
            }
            try await update(campaign, on: connection)
            return RecipientsAdded(campaign: campaign, firstIndex: firstIndex, count: rows.count)
        }
    }

    public func recipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, after: Int?, limit: Int
    ) async throws -> RecipientPage {
        try CampaignSteps.checkLimit(limit, max: Limits.pageSizeMax)
        return try await read("recipients") { connection in
            _ = try await existingCampaign(workspaceId, campaignId, locking: false, on: connection)
            let fetched = try await rows(
                """
                SELECT \(unescaped: CampaignColumns.recipient) FROM campaign_recipients
                WHERE workspace_id = \(workspaceId) AND campaign_id = \(campaignId) AND idx > \(after ?? 0)
                ORDER BY idx LIMIT \(limit + 1)
                """, on: connection
            ).map(CampaignColumns.recipient)
            let page = Array(fetched.prefix(limit))
            return RecipientPage(recipients: page, nextCursor: fetched.count > limit ? page.last?.index : nil)
        }
    }

    public func recipientNumbers(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> [[String]] {
        try await read("recipientNumbers") { connection in
            _ = try await existingCampaign(workspaceId, campaignId, locking: false, on: connection)
            return try await rows(
                """
                SELECT numbers FROM campaign_recipients
                WHERE workspace_id = \(workspaceId) AND campaign_id = \(campaignId) ORDER BY idx
                """, on: connection
            ).map { CampaignColumns.numbers(try $0.decode(String.self)) }
        }
    }

    // MARK: The runner

    public func dueCampaigns(limit: Int) async throws -> [CampaignKey] {
        try await read("dueCampaigns") { connection in
            try await rows(
                """
                SELECT workspace_id, id FROM campaigns
                WHERE status IN ('running', 'scheduled')
                   OR (status = 'paused' AND pause_reason = 'out_of_credits') OR active > 0
                ORDER BY id LIMIT \(limit)
                """, on: connection
            ).map { row in
                let (workspaceId, campaignId) = try row.decode((String, String).self)
                return CampaignKey(workspaceId: workspaceId, campaignId: campaignId)
            }
        }
    }

    public func activeRecipients(workspaceId: WorkspaceID, campaignId: CampaignID) async throws
        -> [CampaignRecipient]
    {
        try await read("activeRecipients") { connection in
            _ = try await existingCampaign(workspaceId, campaignId, locking: false, on: connection)
            return try await rows(
                """
                SELECT \(unescaped: CampaignColumns.recipient) FROM campaign_recipients
                WHERE workspace_id = \(workspaceId) AND campaign_id = \(campaignId) AND state = 'active'
                ORDER BY idx
                """, on: connection
            ).map(CampaignColumns.recipient)
        }
    }

    public func claimRecipients(
        workspaceId: WorkspaceID, campaignId: CampaignID, now: Date, limit: Int
    ) async throws -> RecipientClaim {
        try await transaction("claimRecipients") { connection in
            let current = try await existingCampaign(workspaceId, campaignId, on: connection)
            var (campaign, take) = CampaignSteps.claim(current, now: now, limit: limit)
            var claimed: [CampaignRecipient] = []
            if take > 0 {
                claimed = try await rows(
                    """
                    SELECT \(unescaped: CampaignColumns.recipient) FROM campaign_recipients
                    WHERE workspace_id = \(workspaceId) AND campaign_id = \(campaignId) AND state = 'pending'
                    ORDER BY single_call DESC, idx LIMIT \(take)
                    """, on: connection
                ).map { CampaignSteps.activate(try CampaignColumns.recipient($0)) }
                try await execute(
                    """
                    UPDATE campaign_recipients SET state = 'active'
                    WHERE workspace_id = \(workspaceId) AND campaign_id = \(campaignId)
                      AND idx = ANY(\(claimed.map(\.index)))
                    """, on: connection)
                campaign.progress.started(claimed.count)
            }
            if campaign != current { try await update(campaign, on: connection) }
            return RecipientClaim(campaign: campaign, claimed: claimed)
        }
    }

    public func recordOutcomes(
        workspaceId: WorkspaceID, campaignId: CampaignID, _ outcomes: [AttemptOutcome]
    ) async throws -> Campaign {
        try await changeCampaign("recordOutcomes", workspaceId, campaignId) { current, now, connection in
            var recipients: [Int: CampaignRecipient] = [:]
            for row in try await self.rows(
                """
                SELECT \(unescaped: CampaignColumns.recipient) FROM campaign_recipients
                WHERE workspace_id = \(workspaceId) AND campaign_id = \(campaignId)
                  AND idx = ANY(\(outcomes.map(\.recipientIndex)))
                """, on: connection)
            {
                let recipient = try CampaignColumns.recipient(row)
                recipients[recipient.index] = recipient
            }
            var campaign = current
            for outcome in outcomes {
                guard let recipient = recipients[outcome.recipientIndex],
                    let (next, after) = CampaignSteps.record(
                        outcome, recipient: recipient, campaign: campaign, now: now)
                else { continue }
                recipients[next.index] = next
                try await self.execute(
                    """
                    UPDATE campaign_recipients
                    SET state = \(next.state.rawValue), position = \(next.position), outcome = \(next.outcome?.rawValue)
                    WHERE workspace_id = \(workspaceId) AND campaign_id = \(campaignId) AND idx = \(next.index)
                    """, on: connection)
                campaign = after
            }
            return campaign
        }
    }

    // MARK: Helpers

    /// Locks the campaign row, lets `change` decide, and saves what it returns, in one transaction.
    private func changeCampaign(
        _ operation: String, _ workspaceId: WorkspaceID, _ campaignId: CampaignID,
        _ change: @escaping @Sendable (Campaign, Date, PostgresConnection) async throws -> Campaign
    ) async throws -> Campaign {
        let now = now()
        return try await transaction(operation) { connection in
            let current = try await existingCampaign(workspaceId, campaignId, on: connection)
            let campaign = try await change(current, now, connection)
            if campaign != current { try await update(campaign, on: connection) }
            return campaign
        }
    }

    func campaign(
        _ workspaceId: WorkspaceID, _ campaignId: CampaignID, locking: Bool, on connection: PostgresConnection
    ) async throws -> Campaign? {
        try await rows(
            """
            SELECT \(unescaped: CampaignColumns.select) FROM campaigns c
            JOIN workspaces w ON w.workspace_id = c.workspace_id
            WHERE c.workspace_id = \(workspaceId) AND c.id = \(campaignId)
            \(unescaped: locking ? "FOR NO KEY UPDATE OF c" : "")
            """, on: connection
        ).first.map(CampaignColumns.campaign)
    }

    /// The campaign (locked unless `locking` is false), or `campaign_not_found`.
    func existingCampaign(
        _ workspaceId: WorkspaceID, _ campaignId: CampaignID, locking: Bool = true, on connection: PostgresConnection
    ) async throws -> Campaign {
        guard let found = try await campaign(workspaceId, campaignId, locking: locking, on: connection) else {
            throw CampaignRefusal(.campaignNotFound, "no campaign \(campaignId) in this workspace")
        }
        return found
    }

    func update(_ campaign: Campaign, on connection: PostgresConnection) async throws {
        let values = CampaignColumns.values(campaign)
        try await execute(
            """
            UPDATE campaigns SET name = \(values.name), status = \(values.status), \
            pause_reason = \(values.pauseReason), credit_cap = \(values.creditCap), \
            active_days = \(values.activeDays), calling_start_minutes = \(values.callingStart), \
            calling_end_minutes = \(values.callingEnd), daily_attempt_limit = \(values.dailyLimit), \
            lines = \(values.lines), average_call_seconds = \(values.averageCall), launch_at_ms = \(values.launchAt), \
            shortfall_acknowledged = \(values.acknowledged), recipients = \(values.recipients), \
            active = \(values.active), done = \(values.done), answered = \(values.answered), \
            attempts_dialed = \(values.attemptsDialed), credits_spent = \(values.creditsSpent), \
            dial_day = \(values.dialDay), dialed_on_day = \(values.dialedOnDay), updated_at_ms = \(values.updatedAt), \
            started_at_ms = \(values.startedAt), ended_at_ms = \(values.endedAt)
            WHERE workspace_id = \(campaign.workspaceId) AND id = \(campaign.id)
            """, on: connection)
    }

    private func poolWallet(_ workspaceId: WorkspaceID, on connection: PostgresConnection) async throws -> WalletID {
        guard
            let pool = try await rows(
                "SELECT id FROM wallets WHERE workspace_id = \(workspaceId) AND kind = 'pool'", on: connection
            ).first?.decode(String.self)
        else { throw LedgerRefusal(.walletNotFound, "the workspace has no pool wallet") }
        return pool
    }
}
