import CreditsCore
import Foundation

/// How the portal writes numbers, credits and times: thousands separators, the workspace's time zone.
struct PortalFormat: Sendable {
    let timeZone: TimeZone

    init(timeZoneIdentifier: String) {
        timeZone = TimeZone(identifier: timeZoneIdentifier) ?? .gmt
    }

    /// `1234567` → `1,234,567`.
    static func number(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    static func number(_ value: Int) -> String { number(Int64(value)) }
    static func credits(_ value: Credits) -> String { number(value.count) }

    /// A price in minor units: `2500` USD → `25.00 USD`.
    static func price(_ minor: Int64, currency: String) -> String {
        let major = number(minor / 100)
        return "\(major).\(String(format: "%02lld", minor.magnitude % 100)) \(currency.uppercased())"
    }

    /// The status as users see it: Waiting, Calling, Answered, Missed, Failed, Cancelled, DNC.
    static func status(_ status: AttemptStatus) -> String {
        status == .dnc ? "DNC" : status.rawValue.capitalized
    }

    /// `2026-12-02 16:05 CET`, in the workspace's time zone.
    func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        return formatter.string(from: date)
    }

    /// `2026-12-02`, the local day of `date`.
    func day(_ date: Date?) -> String {
        guard let date else { return "—" }
        return CalendarDay(date, in: timeZone).description
    }
}

/// The credits-per-day chart as inline SVG: one bar per day of the period, a `<title>` per bar for its figure.
enum UsageChart {
    static func svg(days: [(day: CalendarDay, credits: Int64)]) -> String {
        let width = 640.0
        let height = 180.0
        let top = 10.0
        let bottom = 24.0
        let maximum = max(days.map(\.credits).max() ?? 0, 1)
        let slot = width / Double(max(days.count, 1))
        var bars = ""
        for (index, entry) in days.enumerated() {
            let barHeight = (height - top - bottom) * Double(entry.credits) / Double(maximum)
            let x = Double(index) * slot + slot * 0.15
            let y = height - bottom - barHeight
            bars += """
                <rect class="bar" x="\(fmt(x))" y="\(fmt(y))" width="\(fmt(slot * 0.7))" height="\(fmt(barHeight))">\
                <title>\(entry.day): \(PortalFormat.number(entry.credits)) credits</title></rect>
                """
        }
        let first = days.first.map { "\($0.day)" } ?? ""
        let last = days.last.map { "\($0.day)" } ?? ""
        return """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" \
            aria-label="Credits per day, \(first) to \(last), highest \(PortalFormat.number(maximum))">\
            <line class="axis" x1="0" y1="\(fmt(height - bottom))" x2="\(Int(width))" y2="\(fmt(height - bottom))"/>\
            \(bars)\
            <text x="0" y="\(Int(height) - 6)">\(first)</text>\
            <text x="\(Int(width))" y="\(Int(height) - 6)" text-anchor="end">\(last)</text>\
            <text x="0" y="10">max \(PortalFormat.number(maximum))</text></svg>
            """
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
}
