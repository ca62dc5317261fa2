import CreditsCore
import Foundation
import Testing

/// The Send step's pre-launch figures.
@Suite("Send step")
struct SendStepTests {
    let newYork = TimeZone(identifier: "America/New_York")!

    func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    func number(_ index: Int) -> PhoneNumber {
        try! PhoneNumber("+1415555" + String(format: "%04d", index))
    }

    /// 70 contacts: contact i has 1 + i % 4 numbers (so 1 to 4 each).
    func seventyContacts() -> [Recipient] {
        var next = 0
        return (0..<70).map { index in
            let numbers = (0...(index % 4)).map { _ in
                next += 1
                return number(next)
            }
            return Recipient(row: index + 2, numbers: numbers)
        }
    }

    var pacing: Pacing { Pacing(timeZone: newYork, lines: 2, averageCallSeconds: 60) }

    @Test("70 contacts with up to 4 numbers each need between 70 and 280 calls")
    func seventyContactsRange() throws {
        let recipients = seventyContacts()
        let figures = try SendStep.figures(
            recipients: recipients, dnc: [], availableCredits: 1_000, pacing: pacing,
            start: date("2026-01-05T14:00:00Z"))
        #expect(figures.recipients == 70)
        #expect(figures.minimumCalls == 70)
        #expect(figures.maximumCalls == recipients.map(\.numbers.count).reduce(0, +))
        #expect((70...280).contains(figures.maximumCalls))
        #expect(figures.maximumCalls == 18 * 1 + 18 * 2 + 17 * 3 + 17 * 4)
        #expect(figures.expectedCredits > 0 && figures.expectedCredits <= Double(figures.maximumCalls))
        #expect(!figures.needsAcknowledgement && figures.shortfall == .zero)
    }

    @Test("numbers on the DNC list are not dialed, not counted in the maximum, and counted as filtered")
    func dncFiltered() throws {
        let recipients = [
            Recipient(row: 2, numbers: [number(1), number(2)]),
            Recipient(row: 3, numbers: [number(3)]),
        ]
        let figures = try SendStep.figures(
            recipients: recipients, dnc: [number(2).e164, number(3).e164], availableCredits: 10, pacing: pacing,
            start: date("2026-01-05T14:00:00Z"))
        #expect(figures.maximumCalls == 1 && figures.dncFilteredNumbers == 2)
        #expect(figures.minimumCalls == 1 && figures.recipientsWithoutDialableNumber == 1)
    }

    @Test("a maximum above the available credits warns with the shortfall and needs acknowledgement")
    func shortfallWarning() throws {
        let figures = try SendStep.figures(
            recipients: seventyContacts(), dnc: [], availableCredits: 100, pacing: pacing,
            start: date("2026-01-05T14:00:00Z"))
        #expect(figures.shortfall == Credits(Int64(figures.maximumCalls - 100)))
        #expect(figures.needsAcknowledgement)
    }

    @Test("expected cost follows the model: each position reached only if no person answered before")
    func expectedCostModel() {
        let rates = ConnectRates(byPosition: [
            PositionRates(person: 0.5, machine: 0.25), PositionRates(person: 0.2, machine: 0.3),
        ])
        let (attempts, credits) = rates.expected(dialable: 3)
        // Reach: 1, 0.5, 0.4. Connected: 0.75, 0.5, 0.5 (the last position repeats).
        #expect(abs(attempts - 1.9) < 1e-9)
        #expect(abs(credits - (0.75 + 0.5 * 0.5 + 0.4 * 0.5)) < 1e-9)
    }

    @Test("without history the stated default is used: 30% person, 40% machine at every position")
    func defaultRates() {
        #expect(ConnectRates.noHistoryDefault.rates(at: 1) == PositionRates(person: 0.3, machine: 0.4))
        #expect(ConnectRates.noHistoryDefault.rates(at: 9) == PositionRates(person: 0.3, machine: 0.4))
    }

    @Test("completion across a weekend waits for Monday's calling hours")
    func completionAcrossWeekend() throws {
        // Friday 2026-01-09 16:00 New York (21:00Z); 9:00–17:00 weekdays, 2 lines, 60 s calls:
        // Friday has 60 minutes → 120 attempts; 200 attempts leave 80 for Monday: 40 waves from 9:00.
        let done = SendStep.completion(attempts: 200, pacing: pacing, start: date("2026-01-09T21:00:00Z"))
        #expect(done == date("2026-01-12T14:40:00Z"))
    }

    @Test("the daily limit spreads attempts over more days")
    func dailyLimit() {
        var limited = pacing
        limited.dailyAttemptLimit = 100
        // Monday 9:00: 100 a day → 250 attempts end Wednesday after 25 waves of 2 (50 attempts).
        let done = SendStep.completion(attempts: 250, pacing: limited, start: date("2026-01-12T14:00:00Z"))
        #expect(done == date("2026-01-14T14:25:00Z"))
    }

    @Test("pacing that cannot call anything is refused")
    func invalidPacing() {
        var broken = pacing
        broken.callingEndMinutes = broken.callingStartMinutes
        #expect(throws: LedgerRefusal.self) {
            try SendStep.figures(recipients: [], dnc: [], availableCredits: 0, pacing: broken, start: Date())
        }
    }
}

/// The Send step's rates from the workspace's history.
@Suite("Connect rates from history")
struct ConnectRatesHistoryTests {
    @Test("too little history at the first position leaves the stated default")
    func tooLittle() {
        #expect(ConnectRates.history([]) == nil)
        #expect(ConnectRates.history([PositionStatistics(position: 1, dialed: 29, answered: 10, missed: 10)]) == nil)
        #expect(ConnectRates.history([PositionStatistics(position: 2, dialed: 500, answered: 10, missed: 10)]) == nil)
    }

    @Test("rates by position; a position without attempts takes the one before it")
    func byPosition() throws {
        let rates = try #require(
            ConnectRates.history([
                PositionStatistics(position: 1, dialed: 100, answered: 40, missed: 30),
                PositionStatistics(position: 3, dialed: 10, answered: 1, missed: 2),
            ]))
        #expect(rates.byPosition.count == 3)
        #expect(rates.rates(at: 1) == PositionRates(person: 0.4, machine: 0.3))
        #expect(rates.rates(at: 2) == rates.rates(at: 1))
        #expect(rates.rates(at: 3) == PositionRates(person: 0.1, machine: 0.2))
        #expect(rates.rates(at: 7) == rates.rates(at: 3))
    }
}
