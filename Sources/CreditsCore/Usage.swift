import Foundation

/// A date on the workspace's calendar (its time zone), such as 2026-03-31. Usage is kept and asked for
/// in whole local days. Stored as the integer `yyyymmdd`, which sorts as the days do.
public struct CalendarDay: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A valid date, or nil (2026-02-30 is nil).
    ///
    /// From 1600 on the Gregorian rules are applied by arithmetic: every usage row read decodes its day, and asking
    /// Foundation's calendar cost some 20 µs a row (most of a breakdown's time on a large history). Earlier years
    /// ask the calendar, which counts them as Julian before October 1582.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
        if year >= 1600 {
            guard day <= Self.daysIn(month: month, year: year) else { return nil }
            self.year = year
            self.month = month
            self.day = day
            return
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day)
        guard let date = calendar.date(from: components),
            calendar.dateComponents([.year, .month, .day], from: date)
                == DateComponents(
                    year: year, month: month, day: day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days in `month` of `year` (Gregorian).
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Reads `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// Reads the stored `yyyymmdd`.
    public init?(number: Int) {
        self.init(year: number / 10_000, month: number / 100 % 100, day: number % 100)
    }

    /// The local day `date` falls on in `timeZone`.
    public init(_ date: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        year = parts.year ?? 1970
        month = parts.month ?? 1
        day = parts.day ?? 1
    }

    /// `yyyymmdd`, as stored.
    public var number: Int { year * 10_000 + month * 100 + day }

    /// `YYYY-MM-DD`.
    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    /// The day `count` days later (earlier when negative).
    public func adding(days count: Int) -> CalendarDay {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: year, month: month, day: day))!
        return CalendarDay(calendar.date(byAdding: .day, value: count, to: start)!, in: calendar.timeZone)
    }

    /// Days from `self` to `other` (positive when `other` is later).
    public func days(to other: CalendarDay) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: year, month: month, day: day))!
        let end = calendar.date(from: DateComponents(year: other.year, month: other.month, day: other.day))!
        return calendar.dateComponents([.day], from: start, to: end).day ?? 0
    }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool { lhs.number < rhs.number }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let day = CalendarDay(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a date as YYYY-MM-DD")
        }
        self = day
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// One row of the usage rollup: attempts that ended on one local day, from one wallet, in one campaign
/// (nil: single calls), with one outcome. Stores add to it in the transaction that ends an attempt.
public struct UsageRollupRow: Hashable, Sendable, Codable {
    public var day: CalendarDay
    public var walletId: WalletID
    public var campaignId: CampaignID?
    public var outcome: CallOutcome
    public var attempts: Int64
    /// Credits charged.
    public var credits: Int64
    /// Credits held and given back (failed or cancelled after dialing).
    public var refunds: Int64
    /// Connected attempts that found no credit left (late connect after a timeout).
    public var uncollected: Int64

    public init(
        day: CalendarDay, walletId: WalletID, campaignId: CampaignID?, outcome: CallOutcome, attempts: Int64,
        credits: Int64, refunds: Int64, uncollected: Int64
    ) {
        self.day = day
        self.walletId = walletId
        self.campaignId = campaignId
        self.outcome = outcome
        self.attempts = attempts
        self.credits = credits
        self.refunds = refunds
        self.uncollected = uncollected
    }

    /// The rollup increment for an attempt that has just ended, on its local end day.
    public static func increment(for attempt: CallAttempt, timeZone: TimeZone) -> UsageRollupRow {
        guard let outcome = attempt.outcome, let endedAt = attempt.endedAt, attempt.status.isFinal else {
            preconditionFailure("only an ended attempt is counted in the usage")
        }
        let refunded = attempt.charge == .released || attempt.charge == .releasedByTimeout
        return UsageRollupRow(
            day: CalendarDay(endedAt, in: timeZone), walletId: attempt.walletId, campaignId: attempt.campaignId,
            outcome: outcome, attempts: 1, credits: attempt.creditsCharged.count, refunds: refunded ? 1 : 0,
            uncollected: attempt.uncollected ? 1 : 0)
    }
}

/// Which usage to report: the workspace (or one wallet) over whole local days `from…to`, inclusive.
public struct UsageQuery: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var walletId: WalletID?
    public var from: CalendarDay
    public var to: CalendarDay

    public init(workspaceId: WorkspaceID, walletId: WalletID? = nil, from: CalendarDay, to: CalendarDay) {
        self.workspaceId = workspaceId
        self.walletId = walletId
        self.from = from
        self.to = to
    }

    public func validate() throws(LedgerRefusal) {
        if let walletId { try Limits.checkIdentifier(walletId, field: "walletId") }
        guard from <= to else { throw .invalid("from must not be after to") }
        guard from.days(to: to) < Limits.usageDaysMax else {
            throw .invalid("a usage period is at most \(Limits.usageDaysMax) days")
        }
    }
}

/// The usage of a period, as the billing page shows it.
public struct UsageReport: Hashable, Sendable, Codable {
    /// One row of the seed's cost table with what the period's attempts did.
    public struct OutcomeRow: Hashable, Sendable, Codable {
        public var outcome: CallOutcome
        public var label: String
        public var status: AttemptStatus
        /// Whether the table shows the row as "0, refunded".
        public var refunded: Bool
        public var attempts: Int64
        public var credits: Int64
        /// Credits held for these attempts and given back.
        public var refundedCredits: Int64
    }

    /// The period's figures for one campaign (nil: single calls outside campaigns) or one day.
    public struct Figures: Hashable, Sendable, Codable {
        public var attempts: Int64 = 0
        public var credits: Int64 = 0
        public var refundedCredits: Int64 = 0
        public var uncollected: Int64 = 0

        public init() {}

        mutating func add(_ row: UsageRollupRow) {
            attempts += row.attempts
            credits += row.credits
            refundedCredits += row.refunds
            uncollected += row.uncollected
        }
    }

    public struct CampaignRow: Hashable, Sendable, Codable {
        public var campaignId: CampaignID?
        public var figures: Figures
    }

    public struct DayRow: Hashable, Sendable, Codable {
        public var day: CalendarDay
        public var figures: Figures
    }

    public struct WalletRow: Hashable, Sendable, Codable {
        public var walletId: WalletID
        public var figures: Figures
    }

    public var walletId: WalletID?
    public var from: CalendarDay
    public var to: CalendarDay
    /// The workspace's time zone, in which the days are counted.
    public var timeZone: String
    /// Always the seven rows, in the table's order.
    public var byOutcome: [OutcomeRow]
    /// Campaigns with attempts in the period, by id (single calls first).
    public var byCampaign: [CampaignRow]
    /// Days with attempts in the period, in order.
    public var byDay: [DayRow]
    /// Wallets with attempts in the period, by id (the owner's page shows each member's).
    public var byWallet: [WalletRow]
    public var totals: Figures

    /// The report from the rollup rows of the period (any order; rows outside the query are a bug).
    public init(query: UsageQuery, timeZone: String, rows: [UsageRollupRow]) {
        var outcomes: [CallOutcome: Figures] = [:]
        var campaigns: [String: Figures] = [:]
        var days: [CalendarDay: Figures] = [:]
        var wallets: [WalletID: Figures] = [:]
        var totals = Figures()
        for row in rows {
            precondition(row.day >= query.from && row.day <= query.to, "rollup row outside the period")
            outcomes[row.outcome, default: Figures()].add(row)
            campaigns[row.campaignId ?? "", default: Figures()].add(row)
            days[row.day, default: Figures()].add(row)
            wallets[row.walletId, default: Figures()].add(row)
            totals.add(row)
        }
        self.walletId = query.walletId
        self.from = query.from
        self.to = query.to
        self.timeZone = timeZone
        self.byOutcome = CallOutcome.allCases.map { outcome in
            let figures = outcomes[outcome] ?? Figures()
            return OutcomeRow(
                outcome: outcome, label: outcome.label, status: outcome.status, refunded: outcome.isRefunded,
                attempts: figures.attempts, credits: figures.credits, refundedCredits: figures.refundedCredits)
        }
        self.byCampaign = campaigns.keys.sorted().map { key in
            CampaignRow(campaignId: key.isEmpty ? nil : key, figures: campaigns[key] ?? Figures())
        }
        self.byDay = days.keys.sorted().map { DayRow(day: $0, figures: days[$0] ?? Figures()) }
        self.byWallet = wallets.keys.sorted().map { WalletRow(walletId: $0, figures: wallets[$0] ?? Figures()) }
        self.totals = totals
    }
}

/// Dialed attempts that ended at one number position (1 = `phone`, 2 = `phone2`, …), by how they ended:
/// the workspace's own connect rates for the Send step's expected cost.
public struct PositionStatistics: Hashable, Sendable, Codable {
    public var position: Int
    /// Attempts dialed (a credit was held) that ended, whatever the outcome.
    public var dialed: Int64
    /// Of those, answered by a person.
    public var answered: Int64
    /// Of those, connected to voicemail or a machine.
    public var missed: Int64

    public init(position: Int, dialed: Int64, answered: Int64, missed: Int64) {
        self.position = position
        self.dialed = dialed
        self.answered = answered
        self.missed = missed
    }
}

extension PositionStatistics {
    /// Statistics per position from rollup counts of (position, outcome, attempts), in position order.
    public static func from(_ rows: [(position: Int, outcome: CallOutcome, attempts: Int64)]) -> [PositionStatistics] {
        var byPosition: [Int: PositionStatistics] = [:]
        for row in rows {
            var statistics =
                byPosition[row.position]
                ?? PositionStatistics(
                    position: row.position, dialed: 0, answered: 0, missed: 0)
            statistics.dialed += row.attempts
            switch row.outcome.status {
            case .answered: statistics.answered += row.attempts
            case .missed: statistics.missed += row.attempts
            default: break
            }
            byPosition[row.position] = statistics
        }
        return byPosition.keys.sorted().compactMap { byPosition[$0] }
    }
}
