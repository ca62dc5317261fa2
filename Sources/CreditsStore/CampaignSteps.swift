import CreditsCore
import Foundation

/// The steps every backend takes for campaigns, as pure functions over loaded rows: a backend locks the
/// campaign row, loads what a step needs, calls it, and writes what it returns.
public enum CampaignSteps {
    /// A new draft campaign on `wallet`, in the workspace's time zone.
    public static func create(
        _ new: NewCampaign, id: CampaignID, wallet: WalletID, timeZone: String, now: Date
    ) throws(LedgerRefusal) -> Campaign {
        let campaign = Campaign(
            id: id, workspaceId: new.workspaceId, walletId: wallet, name: new.name, creditCap: new.creditCap,
            pacing: new.pacing.pacing(in: try zone(timeZone)), createdAt: now)
        try campaign.validate()
        return campaign
    }

    /// The campaign after an edit, refused once it has ended.
    public static func edit(_ campaign: Campaign, _ edit: CampaignEdit, now: Date) throws -> Campaign {
        guard !campaign.status.isFinal else {
            throw CampaignRefusal(.notEditable, "a \(campaign.status.rawValue) campaign cannot change")
        }
        var next = campaign
        if let name = edit.name { next.name = name }
        if let pacing = edit.pacing { next.pacing = pacing.pacing(in: campaign.pacing.timeZone) }
        try next.validate()
        if next != campaign { next.updatedAt = now }
        return next
    }

    /// The campaign after recipients were added, refused in the wrong status or beyond the limit.
    public static func add(_ count: Int, to campaign: Campaign, singleCall: Bool, now: Date) throws -> Campaign {
        if singleCall {
            guard campaign.status.isActive else {
                throw CampaignRefusal(
                    .notActive,
                    "a single call needs a running or paused campaign, not a \(campaign.status.rawValue) one")
            }
        } else {
            guard campaign.status == .draft else {
                throw CampaignRefusal(.notEditable, "recipients are uploaded to a draft campaign")
            }
        }
        guard campaign.progress.recipients + count <= Limits.campaignRecipientsMax else {
            throw LedgerRefusal.invalid("a campaign holds at most \(Limits.campaignRecipientsMax) recipients")
        }
        var next = campaign
        next.progress.recipients += count
        next.updatedAt = now
        return next
    }

    /// What a claim at `now` does: the campaign after it (completed, paused for its cap, or unchanged) and how
    /// many pending recipients to make active (at most `limit`). The caller then calls `progress.started`.
    public static func claim(_ campaign: Campaign, now: Date, limit: Int) -> (campaign: Campaign, take: Int) {
        switch CampaignProgress.plan(campaign, now: now) {
        case .dial(let count):
            return (campaign, min(count, max(0, limit)))
        case .idle:
            return (campaign, 0)
        case .finish:
            return ((try? CampaignRules.apply(.finished, to: campaign, now: now)) ?? campaign, 0)
        case .pauseForCreditCap:
            return ((try? CampaignRules.apply(.creditCapReached, to: campaign, now: now)) ?? campaign, 0)
        }
    }

    /// The recipient made active at its current position.
    public static func activate(_ recipient: CampaignRecipient) -> CampaignRecipient {
        precondition(recipient.state == .pending, "only a pending recipient starts an attempt")
        var next = recipient
        next.state = .active
        return next
    }

    /// Records `outcome` for `recipient` (active, with that open attempt; otherwise nil: already recorded).
    /// Returns the recipient and the campaign after it; a campaign whose every recipient is done completes.
    public static func record(
        _ outcome: AttemptOutcome, recipient: CampaignRecipient, campaign: Campaign, now: Date
    ) -> (recipient: CampaignRecipient, campaign: Campaign)? {
        guard recipient.state == .active, recipient.attemptId == outcome.attemptId, outcome.status.isFinal else {
            return nil
        }
        var step = FallbackDialing.next(
            after: outcome.status, at: recipient.position, numberCount: recipient.numbers.count)
        if campaign.status == .cancelled, case .dial = step { step = .done(.cancelled) }  // cancel stops all
        var nextRecipient = recipient
        switch step {
        case .dial(let position):
            nextRecipient.state = .pending
            nextRecipient.position = position
        case .done(let how):
            nextRecipient.state = .done
            nextRecipient.outcome = how
        case .wait:
            preconditionFailure("a final status does not wait")
        }
        var nextCampaign = campaign
        nextCampaign.progress.ended(
            creditsCharged: outcome.creditsCharged, dialedDay: outcome.dialedAt.map(campaign.pacing.localDay(of:)),
            step: step)
        if nextCampaign.status == .running || nextCampaign.status == .paused, nextCampaign.progress.pending == 0,
            nextCampaign.progress.active == 0
        {
            nextCampaign = (try? CampaignRules.apply(.finished, to: nextCampaign, now: now)) ?? nextCampaign
        }
        nextCampaign.updatedAt = now
        return (nextRecipient, nextCampaign)
    }

    /// A cancelled campaign's pending recipients are done: counted here, marked by the caller.
    public static func cancelPending(_ campaign: Campaign) -> Campaign {
        precondition(campaign.status == .cancelled)
        var next = campaign
        next.progress.done += next.progress.pending
        return next
    }

    /// New recipients from CSV rows (or one single call), indexed from `firstIndex`.
    public static func recipients(
        _ rows: [Recipient], campaignId: CampaignID, firstIndex: Int, singleCall: Bool
    ) -> [CampaignRecipient] {
        rows.enumerated().map { offset, row in
            CampaignRecipient(
                campaignId: campaignId, index: firstIndex + offset, row: singleCall ? nil : row.row,
                firstName: row.firstName, lastName: row.lastName, name: row.name, numbers: row.numbers.map(\.e164),
                singleCall: singleCall)
        }
    }

    /// The time zone a workspace names (validated when the workspace was made).
    public static func zone(_ identifier: String) throws(LedgerRefusal) -> TimeZone {
        guard let zone = TimeZone(identifier: identifier) else {
            throw .invalid("the workspace's time zone \(identifier) is unknown")
        }
        return zone
    }

    /// Checks a page size.
    public static func checkLimit(_ limit: Int, max: Int) throws(LedgerRefusal) {
        guard (1...max).contains(limit) else { throw .invalid("limit must be between 1 and \(max)") }
    }
}
