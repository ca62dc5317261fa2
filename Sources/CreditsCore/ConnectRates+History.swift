/// The Send step's connect rates from the workspace's own history (PRODUCT.md: "an expected cost from the
/// workspace's own recent connect rates by number position").
extension ConnectRates {
    /// Days of history the rates are read from.
    public static let historyDays = 30
    /// Ended attempts needed at the first position before history replaces the stated default: fewer give
    /// rates that swing on a handful of calls.
    public static let historyAttemptsMin: Int64 = 30

    /// Rates by position from ended, dialed attempts; nil when the first position has fewer than
    /// `historyAttemptsMin`. A position without attempts takes the rates of the one before it.
    public static func history(_ statistics: [PositionStatistics]) -> ConnectRates? {
        let byPosition = Dictionary(
            statistics.filter { $0.position >= 1 && $0.dialed > 0 }.map { ($0.position, $0) },
            uniquingKeysWith: { first, _ in first })
        guard let first = byPosition[1], first.dialed >= historyAttemptsMin,
            let last = byPosition.keys.max()
        else { return nil }
        var rates: [PositionRates] = []
        for position in 1...last {
            if let row = byPosition[position] {
                let answered = min(row.answered, row.dialed)
                let missed = min(row.missed, row.dialed - answered)
                rates.append(
                    PositionRates(attempts: Int(row.dialed), answered: Int(answered), missed: Int(missed)))
            } else {
                rates.append(rates[rates.count - 1])
            }
        }
        return ConnectRates(byPosition: rates)
    }
}
