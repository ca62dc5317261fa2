import Foundation

/// One billing cycle: `[start, end)`. Cycle 0 starts at the subscription's anchor.
public struct BillingCycle: Hashable, Sendable, Codable {
    /// 0 for the cycle that starts at the anchor, 1 for the next, … (negative before the anchor).
    public var index: Int
    /// The first instant of the cycle (inclusive).
    public var start: Date
    /// The first instant of the next cycle (exclusive).
    public var end: Date

    public init(index: Int, start: Date, end: Date) {
        self.index = index
        self.start = start
        self.end = end
    }

    /// Whether `date` falls in this cycle.
    public func contains(_ date: Date) -> Bool { start <= date && date < end }
}

/// The billing-cycle calendar of one subscription: cycle N starts N months after the anchor, on the anchor's
/// day of month (clamped to the month's last day) at the anchor's wall-clock time in the anchor's time zone.
///
/// Daylight saving: the wall-clock time is kept. A wall-clock time that does not exist (spring forward)
/// resolves to the first valid instant after the gap; an ambiguous one (fall back) to its first occurrence.
/// Cycle 0 is always the anchor itself, even when the anchor was the second occurrence of an ambiguous time.
/// See docs/cycles.md.
public struct CycleCalendar: Hashable, Sendable {
    /// The instant cycle 0 starts, cut to whole milliseconds (the precision every store keeps).
    public let anchor: Date
    public let timeZone: TimeZone

    /// The anchor's wall clock in `timeZone`: months since year 0, day of month, and milliseconds into the day.
    private let anchorMonth: Int
    private let anchorDay: Int
    private let anchorMillisecondOfDay: Int64

    /// Creates the calendar of a subscription anchored at `anchor` in `timeZone`.
    /// Refuses anchors outside `Limits.cycleAnchorYears` (a typo in a year, not a real subscription).
    public init(anchor: Date, timeZone: TimeZone) throws(LedgerRefusal) {
        let anchor = anchor.wholeMilliseconds
        let local = anchor.addingTimeInterval(TimeInterval(timeZone.secondsFromGMT(for: anchor)))
        let parts = Self.wallClock.dateComponents([.year, .month, .day], from: local)
        guard let year = parts.year, let month = parts.month, let day = parts.day,
            Limits.cycleAnchorYears.contains(year)
        else {
            throw .invalid(
                "anchor must be between the years \(Limits.cycleAnchorYears.lowerBound) and "
                    + "\(Limits.cycleAnchorYears.upperBound)")
        }
        self.anchor = anchor
        self.timeZone = timeZone
        self.anchorMonth = year * 12 + (month - 1)
        self.anchorDay = day
        let midnight = Self.wallClock.startOfDay(for: local)
        self.anchorMillisecondOfDay = local.millisecondsSince1970 - midnight.millisecondsSince1970
    }

    /// Creates the calendar from an IANA time zone identifier; an unknown identifier is `invalid_request`.
    public init(anchor: Date, timeZoneIdentifier: String) throws(LedgerRefusal) {
        try self.init(anchor: anchor, timeZone: try Self.timeZone(timeZoneIdentifier))
    }

    /// The time zone named `identifier`, or `invalid_request` ("unknown time zone …").
    public static func timeZone(_ identifier: String) throws(LedgerRefusal) -> TimeZone {
        guard !identifier.isEmpty, identifier.utf8.count <= Limits.identifierLengthMax,
            let zone = TimeZone(identifier: identifier)
        else { throw .invalid("unknown time zone \(identifier.prefix(Limits.identifierLengthMax))") }
        return zone
    }

    /// The cycle numbered `index` (0 starts at the anchor).
    public func cycle(index: Int) -> BillingCycle {
        BillingCycle(index: index, start: start(ofCycle: index), end: start(ofCycle: index + 1))
    }

    /// The cycle that contains `date` (a negative index before the anchor).
    public func cycle(containing date: Date) -> BillingCycle {
        let local = date.addingTimeInterval(TimeInterval(timeZone.secondsFromGMT(for: date)))
        let parts = Self.wallClock.dateComponents([.year, .month], from: local)
        // The month difference is right or one too high (before the anchor day); DST cannot move it further.
        var index = (parts.year! * 12 + parts.month! - 1) - anchorMonth
        while start(ofCycle: index) > date { index -= 1 }
        while start(ofCycle: index + 1) <= date { index += 1 }
        return cycle(index: index)
    }

    /// The instant cycle `index` starts.
    public func start(ofCycle index: Int) -> Date {
        precondition(abs(index) <= Limits.cycleIndexMax, "cycle index \(index) is out of range")
        if index == 0 { return anchor }
        let month = anchorMonth + index
        let (year, monthOfYear) = (month.floorDiv(12), month.floorMod(12) + 1)
        let firstOfMonth = Self.wallClock.date(from: DateComponents(year: year, month: monthOfYear, day: 1))!
        let daysInMonth = Self.wallClock.range(of: .day, in: .month, for: firstOfMonth)!.count
        let day = Self.wallClock.date(byAdding: .day, value: min(anchorDay, daysInMonth) - 1, to: firstOfMonth)!
        let wallTime = Date(
            millisecondsSince1970: day.millisecondsSince1970 + anchorMillisecondOfDay)
        return resolve(wallTime: wallTime)
    }

    // MARK: Wall clock to instant

    /// A Gregorian calendar in GMT: it does wall-clock arithmetic (months, days) without any DST.
    private static let wallClock: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar
    }()

    /// The instant whose wall clock in `timeZone` reads `wallTime` (a wall clock written as if it were GMT).
    /// Ambiguous (fall back): the first occurrence. Missing (spring forward): the first instant after the gap.
    /// Done here rather than by `Calendar.date(from:)`, whose choice in a gap or overlap is not documented
    /// and has differed between platforms; billing needs one rule everywhere.
    private func resolve(wallTime: Date) -> Date {
        let day: TimeInterval = 86_400
        let offsetBefore = timeZone.secondsFromGMT(for: wallTime.addingTimeInterval(-day))
        let offsetAfter = timeZone.secondsFromGMT(for: wallTime.addingTimeInterval(day))
        let candidates = Set([offsetBefore, offsetAfter, timeZone.secondsFromGMT(for: wallTime)])
            .map { (offset: $0, instant: wallTime.addingTimeInterval(-TimeInterval($0))) }
            .filter { timeZone.secondsFromGMT(for: $0.instant) == $0.offset }
            .map(\.instant)
        if let first = candidates.min() { return first }
        // In a gap: the wall clock jumped over `wallTime`. The transition is after `wallTime` read in the new
        // (larger) offset and at or before `wallTime` read in the old one; find it to the second.
        var low = wallTime.addingTimeInterval(-TimeInterval(max(offsetBefore, offsetAfter)))
        var high = wallTime.addingTimeInterval(-TimeInterval(min(offsetBefore, offsetAfter)))
        let oldOffset = timeZone.secondsFromGMT(for: low)
        guard low < high, timeZone.secondsFromGMT(for: high) != oldOffset else {
            // Two offset changes within a day of each other (historic tz data only): read the wall clock in the
            // later offset rather than stop the reset scheduler over it.
            return wallTime.addingTimeInterval(-TimeInterval(offsetAfter))
        }
        low = Date(timeIntervalSince1970: low.timeIntervalSince1970.rounded(.down))
        high = Date(timeIntervalSince1970: high.timeIntervalSince1970.rounded(.up))
        while high.timeIntervalSince(low) > 1 {
            let middle = Date(
                timeIntervalSince1970: ((low.timeIntervalSince1970 + high.timeIntervalSince1970) / 2)
                    .rounded(.down))
            if timeZone.secondsFromGMT(for: middle) == oldOffset { low = middle } else { high = middle }
        }
        return high
    }
}

extension Int {
    fileprivate func floorDiv(_ divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    fileprivate func floorMod(_ divisor: Int) -> Int { self - floorDiv(divisor) * divisor }
}

extension CycleCalendar: CustomStringConvertible {
    public var description: String { "CycleCalendar(anchor: \(anchor), timeZone: \(timeZone.identifier))" }
}
