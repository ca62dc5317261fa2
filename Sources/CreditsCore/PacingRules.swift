import Foundation

/// What pacing allows at one instant, for the runner: calling hours and active days in the workspace's
/// time zone, the daily attempt limit (dialed attempts only: DNC-filtered numbers are never dialed and do
/// not count), and the simultaneous lines.
extension Pacing {
    /// A calendar in the pacing's time zone.
    var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    /// Whether `date` falls on an active day within the calling hours (start inclusive, end exclusive).
    public func isOpen(at date: Date) -> Bool {
        let calendar = calendar
        let day = calendar.startOfDay(for: date)
        guard let weekday = Weekday(rawValue: calendar.component(.weekday, from: day)), activeDays.contains(weekday),
            let window = window(on: day, calendar)
        else { return false }
        return window.open <= date && date < window.close
    }

    /// The first instant at or after `date` when calling is allowed; nil if none within a year (which a
    /// validated pacing, with at least one active day, never gives).
    public func nextOpening(atOrAfter date: Date) -> Date? {
        if isOpen(at: date) { return date }
        let calendar = calendar
        var day = calendar.startOfDay(for: date)
        for _ in 0..<372 {
            if let weekday = Weekday(rawValue: calendar.component(.weekday, from: day)), activeDays.contains(weekday),
                let window = window(on: day, calendar), window.close > date
            {
                return max(window.open, date)
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = calendar.startOfDay(for: next)
        }
        return nil
    }

    /// The next local midnight after `date`: when the daily limit counts afresh.
    public func startOfNextDay(after date: Date) -> Date {
        let calendar = calendar
        let today = calendar.startOfDay(for: date)
        return calendar.date(byAdding: .day, value: 1, to: today).map(calendar.startOfDay)
            ?? date.addingTimeInterval(86_400)
    }

    /// When a campaign that dials nothing now may dial again: the next opening of its calling hours, or
    /// of the next day's when `dialedToday` reached the daily limit.
    public func nextDialTime(after date: Date, dialedToday: Int) -> Date? {
        if let dailyAttemptLimit, dialedToday >= dailyAttemptLimit {
            return nextOpening(atOrAfter: startOfNextDay(after: date))
        }
        return nextOpening(atOrAfter: date)
    }

    /// The local calendar day of `date` as `yyyy-MM-dd`: the key the daily limit counts under.
    public func localDay(of date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// How many new attempts may be dialed at `now`, with `calling` attempts on the lines and
    /// `dialedToday` attempts already dialed this local day.
    public func dialsAllowed(at now: Date, calling: Int, dialedToday: Int) -> Int {
        guard isOpen(at: now) else { return 0 }
        var allowed = max(0, lines - calling)
        if let dailyAttemptLimit { allowed = min(allowed, max(0, dailyAttemptLimit - dialedToday)) }
        return allowed
    }

    /// The calling window on the local day starting at `day`. A local time that a DST change skips opens at
    /// the first instant after the gap.
    private func window(on day: Date, _ calendar: Calendar) -> (open: Date, close: Date)? {
        guard let next = calendar.date(byAdding: .day, value: 1, to: day).map(calendar.startOfDay) else { return nil }
        func time(_ minutes: Int) -> Date? {
            if minutes >= 1440 { return next }
            return calendar.date(
                bySettingHour: minutes / 60, minute: minutes % 60, second: 0, of: day,
                matchingPolicy: .nextTime, repeatedTimePolicy: .first, direction: .forward)
        }
        guard let open = time(callingStartMinutes), let close = time(callingEndMinutes), open < close else {
            return nil
        }
        return (open, close)
    }
}

/// The active days as a bit mask (Sunday = bit 0 … Saturday = bit 6), as stores keep them.
extension Set where Element == Weekday {
    /// The days as a bit mask.
    public var mask: Int { reduce(0) { $0 | (1 << ($1.rawValue - 1)) } }

    /// The days of a bit mask.
    public init(mask: Int) {
        self.init(Weekday.allCases.filter { mask & (1 << ($0.rawValue - 1)) != 0 })
    }
}
