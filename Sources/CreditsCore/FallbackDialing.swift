import Foundation

/// How a recipient's dialing ends.
public enum RecipientOutcome: String, Hashable, Sendable, Codable, CaseIterable {
    /// A person answered one of the numbers.
    case answered
    /// Every number was tried (or filtered by DNC) without a person answering.
    case exhausted
    /// The campaign was cancelled (or the attempt cancelled) before a person answered.
    case cancelled
}

/// What to do next for one recipient.
public enum RecipientStep: Hashable, Sendable {
    /// Dial the number at this position (1 = `phone`, 2 = `phone2`, …).
    case dial(position: Int)
    /// An attempt is still open: wait for its outcome.
    case wait
    /// Nothing more to dial.
    case done(RecipientOutcome)
}

/// Multi-number dialing (PRODUCT.md "Recipients, fallback numbers, campaigns"): a recipient's numbers are
/// dialed in turn until a person answers. Failed, Missed and DNC move on to the next number; Answered stops;
/// Cancelled stops everything. Every attempt that connects costs a credit, so one recipient may cost several.
public enum FallbackDialing {
    /// The step after the attempt at `position` (1-based) of a recipient with `numberCount` numbers ended in
    /// `status`; every earlier attempt moved on, or it would not have been dialed.
    public static func next(after status: AttemptStatus, at position: Int, numberCount: Int) -> RecipientStep {
        precondition((1...numberCount).contains(position), "a position within the recipient's numbers")
        switch status {
        case .waiting, .calling:
            return .wait
        case .answered:
            return .done(.answered)
        case .cancelled:
            return .done(.cancelled)
        case .missed, .failed, .dnc:
            return position < numberCount ? .dial(position: position + 1) : .done(.exhausted)
        }
    }
}

/// What the runner should do with a campaign at one instant.
public enum DialPlan: Hashable, Sendable {
    /// Start dialing this many pending recipients.
    case dial(Int)
    /// Nothing to start now: outside calling hours, lines full, the daily limit reached, or the cap's last
    /// credits are in flight.
    case idle
    /// Every recipient has ended: the campaign completes.
    case finish
    /// The cap is spent and nothing is in flight: the campaign pauses (`credit_cap`).
    case pauseForCreditCap
}

extension CampaignProgress {
    /// What to do at `now` for a running campaign with these counters, pacing and cap.
    public static func plan(_ campaign: Campaign, now: Date) -> DialPlan {
        let progress = campaign.progress
        guard campaign.status == .running else { return .idle }
        if progress.pending == 0 { return progress.active == 0 ? .finish : .idle }
        let capRoom = campaign.capRoom ?? Int64.max
        if capRoom <= 0 { return progress.active == 0 ? .pauseForCreditCap : .idle }
        let pacing = campaign.pacing
        let allowed = pacing.dialsAllowed(
            at: now, calling: progress.active, dialedToday: progress.dialedToday(pacing.localDay(of: now)))
        let count = min(Int64(allowed), Int64(progress.pending), capRoom)
        return count > 0 ? .dial(Int(count)) : .idle
    }

    /// Counts `count` recipients that start an attempt.
    public mutating func started(_ count: Int) {
        active += count
        precondition(active <= recipients - done, "no more active recipients than not done")
    }

    /// Counts one ended attempt of an active recipient: what it cost, whether it was dialed (and on which local
    /// day), and whether the recipient is now done (`step`). `dialedDay` is the attempt's dial time's local day,
    /// nil when it was never dialed (DNC, cancelled while Waiting).
    public mutating func ended(creditsCharged: Credits, dialedDay: String?, step: RecipientStep) {
        precondition(active > 0, "an ended attempt belonged to an active recipient")
        creditsSpent += creditsCharged
        if let dialedDay {
            attemptsDialed += 1
            if dialDay == dialedDay {
                dialedOnDay += 1
            } else if dialDay.map({ dialedDay > $0 }) ?? true {
                dialDay = dialedDay
                dialedOnDay = 1
            }
        }
        switch step {
        case .dial:
            active -= 1  // back to pending, at the next number
        case .wait:
            preconditionFailure("an ended attempt does not wait")
        case .done(let outcome):
            active -= 1
            done += 1
            if outcome == .answered { answered += 1 }
        }
    }
}
