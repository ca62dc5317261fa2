import Foundation

/// How often an attempt at one dialing position connects, from the workspace's recent attempts.
/// Position 1 is the first number dialed for a recipient, 2 the next one dialed, and so on.
public struct PositionRates: Hashable, Sendable, Codable {
    /// P(a person answers): Answered, dialing stops.
    public var person: Double
    /// P(connected, but not a person — voicemail, machine, fax): Missed, costs a credit, dialing moves on.
    public var machine: Double

    /// Rates as fractions; both in 0…1 and together at most 1 (the rest is not connected: free).
    public init(person: Double, machine: Double) {
        precondition(person >= 0 && machine >= 0 && person + machine <= 1 + 1e-9, "rates are fractions of attempts")
        self.person = person
        self.machine = machine
    }

    /// Rates from counts of attempts at this position (Answered and Missed among all that ended).
    public init(attempts: Int, answered: Int, missed: Int) {
        precondition(attempts > 0 && answered >= 0 && missed >= 0 && answered + missed <= attempts)
        self.init(person: Double(answered) / Double(attempts), machine: Double(missed) / Double(attempts))
    }

    /// P(the attempt connects and costs a credit).
    public var connected: Double { person + machine }
}

/// Connect rates by dialing position; positions beyond the list use its last entry.
public struct ConnectRates: Hashable, Sendable, Codable {
    public var byPosition: [PositionRates]

    public init(byPosition: [PositionRates]) {
        precondition(!byPosition.isEmpty, "at least the first position's rates")
        self.byPosition = byPosition
    }

    /// The rates used when the workspace has no history: at every position 30% answered by a person,
    /// 40% voicemail or machine, 30% not connected. A 70% connect rate is high on purpose, so the
    /// expected cost errs toward spending more rather than less.
    public static let noHistoryDefault = ConnectRates(byPosition: [PositionRates(person: 0.30, machine: 0.40)])

    /// The rates at `position` (1-based).
    public func rates(at position: Int) -> PositionRates {
        byPosition[min(max(position, 1), byPosition.count) - 1]
    }

    /// Expected attempts dialed and credits spent for one recipient with `dialable` numbers, dialed in
    /// turn until a person answers. With p_k and m_k the rates at position k, the chance of reaching k is
    /// R_1 = 1, R_(k+1) = R_k × (1 − p_k): every outcome but a person moves on. Attempts = Σ R_k;
    /// credits = Σ R_k × (p_k + m_k), since Answered and Missed each cost one credit.
    public func expected(dialable: Int) -> (attempts: Double, credits: Double) {
        var reach = 1.0
        var attempts = 0.0
        var credits = 0.0
        for position in stride(from: 1, through: dialable, by: 1) {
            let rates = rates(at: position)
            attempts += reach
            credits += reach * rates.connected
            reach *= 1 - rates.person
        }
        return (attempts, credits)
    }
}

/// Days of the week, numbered as `Calendar` numbers them.
public enum Weekday: Int, Hashable, Sendable, Codable, CaseIterable {
    case sunday = 1
    case monday
    case tuesday
    case wednesday
    case thursday
    case friday
    case saturday

    /// Monday to Friday.
    public static let workdays: Set<Weekday> = [.monday, .tuesday, .wednesday, .thursday, .friday]
}

/// How fast a campaign may call: calling hours and active days in the workspace's time zone, a daily
/// attempt limit, simultaneous lines, and the average length of an attempt.
public struct Pacing: Hashable, Sendable, Codable {
    public var timeZone: TimeZone
    public var activeDays: Set<Weekday>
    /// Calling hours in minutes after local midnight: from `callingStartMinutes` up to `callingEndMinutes`
    /// (1440 for midnight). The window does not cross midnight.
    public var callingStartMinutes: Int
    public var callingEndMinutes: Int
    /// Most attempts per local day (every dialed attempt counts, charged or not); nil for no limit.
    public var dailyAttemptLimit: Int?
    /// Calls dialed at the same time.
    public var lines: Int
    /// Seconds one attempt occupies a line, ringing and talking, on average.
    public var averageCallSeconds: Int

    public init(
        timeZone: TimeZone, activeDays: Set<Weekday> = Weekday.workdays, callingStartMinutes: Int = 9 * 60,
        callingEndMinutes: Int = 17 * 60, dailyAttemptLimit: Int? = nil, lines: Int = 1, averageCallSeconds: Int = 60
    ) {
        self.timeZone = timeZone
        self.activeDays = activeDays
        self.callingStartMinutes = callingStartMinutes
        self.callingEndMinutes = callingEndMinutes
        self.dailyAttemptLimit = dailyAttemptLimit
        self.lines = lines
        self.averageCallSeconds = averageCallSeconds
    }

    /// Refuses settings that cannot pace anything.
    public func validate() throws(LedgerRefusal) {
        guard (0..<1440).contains(callingStartMinutes), (1...1440).contains(callingEndMinutes),
            callingStartMinutes < callingEndMinutes
        else { throw .invalid("calling hours must start before they end, within one day") }
        guard lines >= 1 else { throw .invalid("a campaign needs at least one line") }
        guard averageCallSeconds >= 1 else { throw .invalid("the average call must last at least one second") }
        guard dailyAttemptLimit.map({ $0 >= 1 }) ?? true else { throw .invalid("the daily limit must be at least 1") }
        guard !activeDays.isEmpty else { throw .invalid("a campaign needs at least one active day") }
    }
}

/// The pre-launch figures the Send step shows.
public struct SendStepFigures: Hashable, Sendable, Codable {
    public var recipients: Int
    /// Every dialable number of every recipient dialed (DNC numbers are not dialed).
    public var maximumCalls: Int
    /// Everyone answers on their first dialable number (recipients whose numbers are all DNC: none).
    public var minimumCalls: Int
    /// Numbers the DNC list already filters: never dialed, free.
    public var dncFilteredNumbers: Int
    /// Recipients left with no number to dial.
    public var recipientsWithoutDialableNumber: Int
    public var availableCredits: Credits
    /// maximumCalls − available when positive, else zero.
    public var shortfall: Credits
    /// Launching with a shortfall needs an explicit acknowledgement.
    public var needsAcknowledgement: Bool
    /// Expected attempts dialed, from the connect rates.
    public var expectedCalls: Double
    /// Expected credits spent (expected connected attempts), from the connect rates.
    public var expectedCredits: Double
    /// When the expected attempts are done, from the pacing; nil if pacing never finishes them.
    public var estimatedCompletionAt: Date?
    /// When the maximum attempts would be done.
    public var latestCompletionAt: Date?
}

/// The Send step's figures as pure arithmetic over the recipients, the DNC list and the wallet.
public enum SendStep {
    /// Longest stretch the completion estimate looks ahead.
    public static let estimateDaysMax = 3_660

    /// Computes every figure. `dnc` holds E.164 strings; `start` is when the campaign would launch.
    public static func figures(
        recipients: [Recipient], dnc: Set<String>, availableCredits: Credits,
        rates: ConnectRates = .noHistoryDefault, pacing: Pacing, start: Date
    ) throws(LedgerRefusal) -> SendStepFigures {
        try figures(
            numberLists: recipients.lazy.map { $0.numbers.lazy.map(\.e164) }, dnc: dnc,
            availableCredits: availableCredits, rates: rates, pacing: pacing, start: start)
    }

    /// The same figures from each recipient's E.164 numbers, as a store keeps them.
    public static func figures<Lists: Sequence>(
        numberLists: Lists, dnc: Set<String>, availableCredits: Credits, rates: ConnectRates = .noHistoryDefault,
        pacing: Pacing, start: Date
    ) throws(LedgerRefusal) -> SendStepFigures where Lists.Element: Collection, Lists.Element.Element == String {
        try pacing.validate()
        // Recipients counted by how many dialable numbers they have: the expectation is then computed
        // once per count, not once per recipient.
        var byDialable: [Int] = []
        var maximum = 0
        var filtered = 0
        var recipientCount = 0
        for numbers in numberLists {
            recipientCount += 1
            var dialable = numbers.count
            if !dnc.isEmpty {
                for number in numbers where dnc.contains(number) { dialable -= 1 }
            }
            filtered += numbers.count - dialable
            maximum += dialable
            while byDialable.count <= dialable { byDialable.append(0) }
            byDialable[dialable] += 1
        }
        var expectedCalls = 0.0
        var expectedCredits = 0.0
        for (dialable, count) in byDialable.enumerated() where dialable > 0 && count > 0 {
            let one = rates.expected(dialable: dialable)
            expectedCalls += one.attempts * Double(count)
            expectedCredits += one.credits * Double(count)
        }
        let withoutNumber = byDialable.first ?? 0
        let shortfall = max(Credits(Int64(maximum)) - availableCredits, .zero)
        return SendStepFigures(
            recipients: recipientCount, maximumCalls: maximum, minimumCalls: recipientCount - withoutNumber,
            dncFilteredNumbers: filtered, recipientsWithoutDialableNumber: withoutNumber,
            availableCredits: availableCredits, shortfall: shortfall, needsAcknowledgement: shortfall > .zero,
            expectedCalls: expectedCalls, expectedCredits: expectedCredits,
            estimatedCompletionAt: completion(attempts: Int(expectedCalls.rounded(.up)), pacing: pacing, start: start),
            latestCompletionAt: completion(attempts: maximum, pacing: pacing, start: start))
    }

    /// When `attempts` attempts are done if dialing starts at `start`: each active day's calling window
    /// (from `start` on the first day) runs waves of `lines` calls of `averageCallSeconds` each, at most
    /// `dailyAttemptLimit` attempts a day. nil when not done within `estimateDaysMax` days.
    public static func completion(attempts: Int, pacing: Pacing, start: Date) -> Date? {
        guard attempts > 0 else { return start }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = pacing.timeZone
        var remaining = attempts
        var day = calendar.startOfDay(for: start)
        for _ in 0..<estimateDaysMax {
            guard let next = calendar.date(byAdding: .day, value: 1, to: day).map(calendar.startOfDay) else {
                return nil
            }
            let weekday = Weekday(rawValue: calendar.component(.weekday, from: day))
            if let weekday, pacing.activeDays.contains(weekday),
                let open = time(pacing.callingStartMinutes, on: day, next: next, calendar),
                let close = time(pacing.callingEndMinutes, on: day, next: next, calendar)
            {
                let windowStart = max(open, start)
                if close > windowStart {
                    let waves = Int(close.timeIntervalSince(windowStart)) / pacing.averageCallSeconds
                    var capacity = waves * pacing.lines
                    if let limit = pacing.dailyAttemptLimit { capacity = min(capacity, limit) }
                    if remaining <= capacity {
                        let wavesNeeded = (remaining + pacing.lines - 1) / pacing.lines
                        return windowStart.addingTimeInterval(Double(wavesNeeded * pacing.averageCallSeconds))
                    }
                    remaining -= capacity
                }
            }
            day = next
        }
        return nil
    }

    /// The local time `minutes` after midnight on `day` (1440: the next day's start).
    private static func time(_ minutes: Int, on day: Date, next: Date, _ calendar: Calendar) -> Date? {
        if minutes >= 1440 { return next }
        return calendar.date(bySettingHour: minutes / 60, minute: minutes % 60, second: 0, of: day)
    }
}
