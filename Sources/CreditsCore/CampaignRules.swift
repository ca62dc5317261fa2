import Foundation

/// Something that moves a campaign: its owner's actions and what the runner observes.
public enum CampaignAction: Hashable, Sendable {
    /// The owner launches it now (`at` nil or not after `now`) or at a later time. `shortfall` is the
    /// Send step's shortfall; a positive one needs `acknowledged`.
    case launch(at: Date?, shortfall: Credits, acknowledged: Bool)
    /// The owner pauses it.
    case pause
    /// The owner resumes it (from any pause reason).
    case resume
    /// The owner cancels it.
    case cancel
    /// The runner: a scheduled campaign's time came.
    case startScheduled
    /// The runner: the wallet could not fund the next attempt.
    case outOfCredits
    /// The runner: the wallet has credits again.
    case creditsArrived
    /// The runner: spent plus in-flight credits reached the cap.
    case creditCapReached
    /// The owner set a new cap (nil: none).
    case setCreditCap(Credits?)
    /// The runner: every recipient reached an end.
    case finished
}

/// The campaign state machine as a pure function:
///
/// ```
/// draft ──launch──▶ running ◀──resume / credits arrived / cap raised──▶ paused(reason)
///   │      └──launch at──▶ scheduled ──time──▶ running ──finished──▶ completed
///   └──────────── cancel (from any status but completed) ──────────────▶ cancelled
/// ```
/// - A launch with a shortfall needs an explicit acknowledgement.
/// - `out_of_credits` resumes by itself when credits arrive; `credit_cap` when the cap is raised above what
///   is spent; `user` only when the owner resumes. An owner's pause replaces an automatic one, so credits
///   arriving do not undo the owner's decision.
/// - Runner observations that no longer apply (credits arriving for a campaign the owner paused, a
///   finish after a cancel) change nothing: they are not errors, the runner just lost a race.
public enum CampaignRules {
    /// The campaign after `action` at `now`.
    public static func apply(_ action: CampaignAction, to campaign: Campaign, now: Date) throws(CampaignRefusal)
        -> Campaign
    {
        var next = campaign
        switch (action, campaign.status) {
        case (.launch(let at, let shortfall, let acknowledged), .draft):
            guard campaign.progress.recipients > 0 else {
                throw CampaignRefusal(.noRecipients, "the campaign has no recipients to dial")
            }
            guard shortfall <= .zero || acknowledged else {
                throw CampaignRefusal(
                    .shortfallNotAcknowledged,
                    "the campaign may need \(shortfall) credits more than the wallet has; "
                        + "launch with acknowledgeShortfall to go ahead")
            }
            next.shortfallAcknowledged = shortfall > .zero
            if let at, at > now {
                next.status = .scheduled
                next.launchAt = at
            } else {
                next = start(next, now)
            }
        case (.startScheduled, .scheduled):
            next = start(next, now)
        case (.pause, .running), (.pause, .paused):
            next.status = .paused
            next.pauseReason = .user
        case (.resume, .paused):
            guard campaign.pauseReason != .creditCap || (campaign.capRoom ?? 1) > 0 else {
                throw CampaignRefusal(
                    .invalidTransition, "the campaign has spent its credit cap; raise the cap to resume it")
            }
            next.status = .running
            next.pauseReason = nil
            if next.startedAt == nil { next.startedAt = now }
        case (.cancel, let status) where !status.isFinal:
            next.status = .cancelled
            next.pauseReason = nil
            next.endedAt = now
        case (.outOfCredits, .running):
            next.status = .paused
            next.pauseReason = .outOfCredits
        case (.creditsArrived, .paused) where campaign.pauseReason == .outOfCredits:
            next.status = .running
            next.pauseReason = nil
        case (.creditCapReached, .running):
            next.status = .paused
            next.pauseReason = .creditCap
        case (.setCreditCap(let cap), let status) where !status.isFinal:
            next.creditCap = cap
            if status == .paused, campaign.pauseReason == .creditCap, (next.capRoom ?? 1) > 0 {
                next.status = .running
                next.pauseReason = nil
            }
        case (.finished, .running), (.finished, .paused):
            next.status = .completed
            next.pauseReason = nil
            next.endedAt = now
        case (.startScheduled, _), (.outOfCredits, _), (.creditsArrived, _), (.creditCapReached, _), (.finished, _):
            return campaign  // a runner's observation that no longer applies
        default:
            throw CampaignRefusal(
                .invalidTransition, "a \(describe(campaign)) campaign cannot \(describe(action))")
        }
        if next != campaign { next.updatedAt = now }
        precondition((next.status == .paused) == (next.pauseReason != nil), "a reason exactly when paused")
        return next
    }

    private static func start(_ campaign: Campaign, _ now: Date) -> Campaign {
        var next = campaign
        next.status = .running
        next.pauseReason = nil
        next.launchAt = nil
        if next.startedAt == nil { next.startedAt = now }
        return next
    }

    private static func describe(_ campaign: Campaign) -> String {
        if let reason = campaign.pauseReason { return "paused (\(reason.rawValue))" }
        return campaign.status.rawValue
    }

    private static func describe(_ action: CampaignAction) -> String {
        switch action {
        case .launch: "be launched"
        case .pause: "be paused"
        case .resume: "be resumed"
        case .cancel: "be cancelled"
        case .setCreditCap: "change its credit cap"
        case .startScheduled, .outOfCredits, .creditsArrived, .creditCapReached, .finished: "change"
        }
    }
}
