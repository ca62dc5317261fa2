import CreditsCore
import Foundation
import Testing

/// Pacing at run time: calling hours and active days in the workspace's time zone, the daily limit, lines.
@Suite("Pacing rules")
struct PacingRulesTests {
    let newYork = TimeZone(identifier: "America/New_York")!

    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    /// Weekdays 9:00–17:00 New York time, 3 lines, at most 5 attempts a day.
    var pacing: Pacing { Pacing(timeZone: newYork, dailyAttemptLimit: 5, lines: 3) }

    @Test("calling hours are read in the workspace's time zone, start inclusive and end exclusive")
    func callingHours() {
        // Monday 2026-01-05; New York is UTC−5 in January.
        #expect(!pacing.isOpen(at: date("2026-01-05T13:59:59Z")))
        #expect(pacing.isOpen(at: date("2026-01-05T14:00:00Z")))
        #expect(pacing.isOpen(at: date("2026-01-05T21:59:59Z")))
        #expect(!pacing.isOpen(at: date("2026-01-05T22:00:00Z")))
    }

    @Test("inactive days are closed all day")
    func activeDays() {
        // Saturday 2026-01-10 at noon New York time.
        #expect(!pacing.isOpen(at: date("2026-01-10T17:00:00Z")))
        var weekend = pacing
        weekend.activeDays = [.saturday]
        #expect(weekend.isOpen(at: date("2026-01-10T17:00:00Z")))
        #expect(!weekend.isOpen(at: date("2026-01-05T17:00:00Z")))
    }

    @Test("the next opening skips the evening and the weekend, in local time")
    func nextOpening() {
        // Friday 2026-01-09 18:00 New York → Monday 2026-01-12 9:00 New York (14:00Z).
        #expect(pacing.nextOpening(atOrAfter: date("2026-01-09T23:00:00Z")) == date("2026-01-12T14:00:00Z"))
        // Monday before opening → that morning.
        #expect(pacing.nextOpening(atOrAfter: date("2026-01-05T12:00:00Z")) == date("2026-01-05T14:00:00Z"))
        // Already open → now.
        #expect(pacing.nextOpening(atOrAfter: date("2026-01-05T15:00:00Z")) == date("2026-01-05T15:00:00Z"))
    }

    @Test("calling hours follow daylight saving time")
    func daylightSaving() {
        // Monday 2026-03-09, after the March 8 change: New York is UTC−4, so 9:00 is 13:00Z.
        #expect(pacing.isOpen(at: date("2026-03-09T13:00:00Z")))
        #expect(!pacing.isOpen(at: date("2026-03-09T12:59:00Z")))
    }

    @Test("dials allowed: free lines, capped by what is left of the daily limit, none when closed")
    func dialsAllowed() {
        let open = date("2026-01-05T15:00:00Z")
        #expect(pacing.dialsAllowed(at: open, calling: 0, dialedToday: 0) == 3)
        #expect(pacing.dialsAllowed(at: open, calling: 2, dialedToday: 0) == 1)
        #expect(pacing.dialsAllowed(at: open, calling: 0, dialedToday: 4) == 1)
        #expect(pacing.dialsAllowed(at: open, calling: 0, dialedToday: 5) == 0)
        #expect(pacing.dialsAllowed(at: open, calling: 3, dialedToday: 0) == 0)
        #expect(pacing.dialsAllowed(at: date("2026-01-05T23:00:00Z"), calling: 0, dialedToday: 0) == 0)
    }

    @Test("the daily limit counts under the local day, which starts at local midnight")
    func localDay() {
        // 2026-01-06T03:00Z is still January 5 in New York.
        #expect(pacing.localDay(of: date("2026-01-06T03:00:00Z")) == "2026-01-05")
        #expect(pacing.localDay(of: date("2026-01-06T05:00:00Z")) == "2026-01-06")
    }

    @Test("active days round-trip through the stored bit mask")
    func weekdayMask() {
        #expect(Set<Weekday>(mask: Weekday.workdays.mask) == Weekday.workdays)
        #expect(Set<Weekday>([.sunday]).mask == 1)
        #expect(Set<Weekday>(mask: 127) == Set(Weekday.allCases))
    }
}

/// Multi-number dialing: numbers in turn until a person answers.
@Suite("Fallback dialing")
struct FallbackDialingTests {
    @Test("Failed, Missed and DNC move on to the next number")
    func movesOn() {
        for status in [AttemptStatus.failed, .missed, .dnc] {
            #expect(FallbackDialing.next(after: status, at: 1, numberCount: 3) == .dial(position: 2))
            #expect(FallbackDialing.next(after: status, at: 2, numberCount: 3) == .dial(position: 3))
        }
    }

    @Test("Answered stops; Cancelled stops everything; a miss on the last number exhausts the recipient")
    func stops() {
        #expect(FallbackDialing.next(after: .answered, at: 2, numberCount: 3) == .done(.answered))
        #expect(FallbackDialing.next(after: .cancelled, at: 1, numberCount: 3) == .done(.cancelled))
        #expect(FallbackDialing.next(after: .missed, at: 2, numberCount: 2) == .done(.exhausted))
    }

    @Test("an open attempt is waited for")
    func waits() {
        #expect(FallbackDialing.next(after: .waiting, at: 1, numberCount: 3) == .wait)
        #expect(FallbackDialing.next(after: .calling, at: 2, numberCount: 3) == .wait)
    }
}

/// What the runner does with a campaign at one instant.
@Suite("Dial planning")
struct DialPlanningTests {
    let monday = ISO8601DateFormatter().date(from: "2026-01-05T15:00:00Z")!

    func campaign(_ progress: CampaignProgress, cap: Credits? = nil, limit: Int? = nil) -> Campaign {
        Campaign(
            id: "cmp_1", workspaceId: "ws_1", walletId: "wal_1", name: "Spring", status: .running, creditCap: cap,
            pacing: Pacing(timeZone: TimeZone(identifier: "America/New_York")!, dailyAttemptLimit: limit, lines: 3),
            progress: progress, createdAt: monday)
    }

    @Test("free lines are filled with pending recipients")
    func fillsLines() {
        #expect(CampaignProgress.plan(campaign(CampaignProgress(recipients: 10)), now: monday) == .dial(3))
        #expect(CampaignProgress.plan(campaign(CampaignProgress(recipients: 10, active: 2)), now: monday) == .dial(1))
        #expect(CampaignProgress.plan(campaign(CampaignProgress(recipients: 2)), now: monday) == .dial(2))
        #expect(CampaignProgress.plan(campaign(CampaignProgress(recipients: 10, active: 3)), now: monday) == .idle)
    }

    @Test("the daily limit counts ended attempts dialed today and every open one")
    func dailyLimit() {
        let today = CampaignProgress(recipients: 10, active: 1, dialDay: "2026-01-05", dialedOnDay: 3)
        #expect(CampaignProgress.plan(campaign(today, limit: 5), now: monday) == .dial(1))
        let yesterday = CampaignProgress(recipients: 10, active: 1, dialDay: "2026-01-04", dialedOnDay: 5)
        #expect(CampaignProgress.plan(campaign(yesterday, limit: 5), now: monday) == .dial(2))
    }

    @Test("the cap leaves room for spent plus in-flight credits only; spent with nothing in flight pauses")
    func creditCap() {
        let nearly = CampaignProgress(recipients: 10, active: 1, done: 2, creditsSpent: 3)
        #expect(CampaignProgress.plan(campaign(nearly, cap: 5), now: monday) == .dial(1))
        #expect(CampaignProgress.plan(campaign(nearly, cap: 4), now: monday) == .idle)
        let spent = CampaignProgress(recipients: 10, done: 4, creditsSpent: 4)
        #expect(CampaignProgress.plan(campaign(spent, cap: 4), now: monday) == .pauseForCreditCap)
    }

    @Test("the campaign finishes when every recipient is done, not before its last attempt ends")
    func finishes() {
        #expect(CampaignProgress.plan(campaign(CampaignProgress(recipients: 2, done: 2)), now: monday) == .finish)
        #expect(
            CampaignProgress.plan(campaign(CampaignProgress(recipients: 2, active: 1, done: 1)), now: monday) == .idle)
    }

    @Test("an ended attempt moves the counters: spent credits, dialed today, pending or done")
    func endedCounters() {
        var progress = CampaignProgress(recipients: 2, active: 2)
        progress.ended(creditsCharged: 1, dialedDay: "2026-01-05", step: .dial(position: 2))
        #expect(progress.active == 1 && progress.pending == 1 && progress.creditsSpent == 1)
        #expect(progress.dialDay == "2026-01-05" && progress.dialedOnDay == 1 && progress.attemptsDialed == 1)
        progress.ended(creditsCharged: 0, dialedDay: nil, step: .done(.exhausted))
        #expect(progress.done == 1 && progress.attemptsDialed == 1 && progress.dialedOnDay == 1)
        progress.started(1)
        progress.ended(creditsCharged: 1, dialedDay: "2026-01-06", step: .done(.answered))
        #expect(progress.done == 2 && progress.answered == 1 && progress.dialDay == "2026-01-06")
        #expect(progress.dialedOnDay == 1 && progress.creditsSpent == 2)
    }
}
