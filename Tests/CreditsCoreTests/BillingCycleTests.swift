import CreditsCore
import Foundation
import PropertyBased
import Testing

/// An instant written with its UTC offset, e.g. "2028-02-29T09:30:00-05:00".
private func at(_ text: String) -> Date {
    guard let date = ISO8601DateFormatter().date(from: text) else { preconditionFailure("bad instant \(text)") }
    return date
}

private func calendar(_ anchor: String, _ zone: String) throws -> CycleCalendar {
    try CycleCalendar(anchor: at(anchor), timeZoneIdentifier: zone)
}

/// The cycle calendar: anchors, month-end clamping, daylight saving.
@Suite("Billing cycle calendar")
struct BillingCycleCalendarTests {
    @Test("a Jan 31 anchor falls on Feb 29 in a leap year, then returns to Mar 31, Apr 30, May 31")
    func januaryThirtyFirstThroughLeapFebruary() throws {
        let cycles = try calendar("2028-01-31T10:00:00Z", "UTC")
        #expect(
            (0...4).map { cycles.start(ofCycle: $0) } == [
                at("2028-01-31T10:00:00Z"), at("2028-02-29T10:00:00Z"), at("2028-03-31T10:00:00Z"),
                at("2028-04-30T10:00:00Z"), at("2028-05-31T10:00:00Z"),
            ])
    }

    @Test("a Jan 31 anchor falls on Feb 28 in a common year")
    func januaryThirtyFirstInCommonYear() throws {
        let cycles = try calendar("2027-01-31T10:00:00Z", "UTC")
        #expect(cycles.start(ofCycle: 1) == at("2027-02-28T10:00:00Z"))
        #expect(cycles.start(ofCycle: 2) == at("2027-03-31T10:00:00Z"))
    }

    @Test("a Jan 30 anchor falls on the last day of February and returns to the 30th")
    func januaryThirtieth() throws {
        let cycles = try calendar("2027-01-30T10:00:00Z", "UTC")
        #expect(cycles.start(ofCycle: 1) == at("2027-02-28T10:00:00Z"))
        #expect(cycles.start(ofCycle: 2) == at("2027-03-30T10:00:00Z"))
        #expect(cycles.start(ofCycle: 3) == at("2027-04-30T10:00:00Z"))
    }

    @Test("a Jan 29 anchor is Feb 29 in a leap year and Feb 28 in a common one")
    func januaryTwentyNinth() throws {
        #expect(try calendar("2028-01-29T10:00:00Z", "UTC").start(ofCycle: 1) == at("2028-02-29T10:00:00Z"))
        #expect(try calendar("2027-01-29T10:00:00Z", "UTC").start(ofCycle: 1) == at("2027-02-28T10:00:00Z"))
        #expect(try calendar("2027-01-29T10:00:00Z", "UTC").start(ofCycle: 2) == at("2027-03-29T10:00:00Z"))
    }

    @Test("the cycle after Dec 31 starts on Jan 31 of the next year")
    func yearBoundary() throws {
        let cycles = try calendar("2026-12-31T23:00:00Z", "UTC")
        #expect(cycles.start(ofCycle: 1) == at("2027-01-31T23:00:00Z"))
        #expect(cycles.start(ofCycle: -1) == at("2026-11-30T23:00:00Z"))
    }

    @Test("a boundary on the DST-forward day keeps the local time (America/New_York, 2026-03-08)")
    func daylightSavingForwardNewYork() throws {
        let cycles = try calendar("2026-01-08T09:00:00-05:00", "America/New_York")
        #expect(cycles.start(ofCycle: 2) == at("2026-03-08T09:00:00-04:00"))
        #expect(cycles.cycle(index: 1).end.timeIntervalSince(cycles.start(ofCycle: 1)) == 28 * 86_400 - 3_600)
    }

    @Test("a boundary on the DST-back day keeps the local time (America/New_York, 2026-11-01)")
    func daylightSavingBackNewYork() throws {
        let cycles = try calendar("2026-10-01T09:00:00-04:00", "America/New_York")
        #expect(cycles.start(ofCycle: 1) == at("2026-11-01T09:00:00-05:00"))
    }

    @Test("a boundary on the DST-forward and DST-back days keeps the local time (Europe/Berlin)")
    func daylightSavingBerlin() throws {
        let forward = try calendar("2026-01-29T08:00:00+01:00", "Europe/Berlin")
        #expect(forward.start(ofCycle: 2) == at("2026-03-29T08:00:00+02:00"))
        let back = try calendar("2026-09-25T08:00:00+02:00", "Europe/Berlin")
        #expect(back.start(ofCycle: 1) == at("2026-10-25T08:00:00+01:00"))
    }

    @Test("a local time skipped by DST-forward starts the cycle at the first instant after the gap")
    func localTimeInTheGap() throws {
        let cycles = try calendar("2026-02-08T02:30:00-05:00", "America/New_York")
        #expect(cycles.start(ofCycle: 1) == at("2026-03-08T03:00:00-04:00"))
        #expect(cycles.start(ofCycle: 2) == at("2026-04-08T02:30:00-04:00"))
    }

    @Test("a local time repeated by DST-back starts the cycle at its first occurrence")
    func localTimeRepeated() throws {
        let cycles = try calendar("2026-10-01T01:30:00-04:00", "America/New_York")
        #expect(cycles.start(ofCycle: 1) == at("2026-11-01T01:30:00-04:00"))
    }

    @Test("an anchor at the second occurrence of a repeated time is still the start of cycle 0")
    func anchorAtSecondOccurrence() throws {
        let cycles = try calendar("2026-11-01T01:30:00-05:00", "America/New_York")
        #expect(cycles.cycle(containing: at("2026-11-01T01:30:00-05:00")).index == 0)
        #expect(cycles.start(ofCycle: 1) == at("2026-12-01T01:30:00-05:00"))
    }

    @Test("cycle(containing:) finds the cycle a date falls in, and negative indices before the anchor")
    func containing() throws {
        let cycles = try calendar("2026-01-31T10:00:00Z", "UTC")
        #expect(cycles.cycle(containing: at("2026-02-28T09:59:59Z")).index == 0)
        #expect(cycles.cycle(containing: at("2026-02-28T10:00:00Z")).index == 1)
        #expect(cycles.cycle(containing: at("2026-01-31T09:59:59Z")).index == -1)
    }

    @Test("an unknown time zone is refused")
    func unknownTimeZone() {
        #expect(throws: LedgerRefusal.invalid("unknown time zone Mars/Olympus")) {
            try CycleCalendar(anchor: at("2026-01-01T00:00:00Z"), timeZoneIdentifier: "Mars/Olympus")
        }
    }

    @Test("an anchor outside the years 2000 to 2200 is refused")
    func anchorOutOfRange() {
        #expect(throws: LedgerRefusal.invalid("anchor must be between the years 2000 and 2200")) {
            try CycleCalendar(anchor: at("1999-12-31T00:00:00Z"), timeZoneIdentifier: "UTC")
        }
    }

    static let zones = [
        "UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata",
        "Pacific/Apia", "America/St_Johns", "Asia/Tehran", "Africa/Casablanca", "Europe/Moscow", "Pacific/Chatham",
    ]

    @Test("cycles are contiguous, strictly increasing, and cycle(containing:) contains the date")
    func cyclesTileTime() async {
        // Anchors from 2000 to 2099, any second; cycles up to 50 years either way.
        await propertyCheck(
            count: 300, input: Gen.int(in: 946_684_800...4_102_444_799), Gen.element(of: Self.zones),
            Gen.int(in: -600...600), Gen.int(in: 0...999)
        ) { seconds, zone, index, permille in
            let cycles = try CycleCalendar(
                anchor: Date(timeIntervalSince1970: TimeInterval(seconds)), timeZoneIdentifier: zone!)
            let cycle = cycles.cycle(index: index)
            let next = cycles.cycle(index: index + 1)
            #expect(cycle.end == next.start, "\(cycles) cycle \(index)")
            #expect(cycle.start < cycle.end, "\(cycles) cycle \(index)")
            #expect(cycle.end.timeIntervalSince(cycle.start) >= 27 * 86_400, "\(cycles) cycle \(index)")
            let inside = cycle.start.addingTimeInterval(
                (cycle.end.timeIntervalSince(cycle.start) * Double(permille) / 1000).rounded(.down))
            #expect(cycles.cycle(containing: inside) == cycle, "\(cycles) date \(inside)")
            #expect(cycles.cycle(containing: cycle.start) == cycle, "\(cycles) start of \(index)")
            #expect(cycles.cycle(containing: cycle.end.addingTimeInterval(-0.001)) == cycle, "\(cycles) end \(index)")
        }
    }
}
