import Foundation

/// Spending of one wallet in the runway window (the last hour), as the store reads it from the entries.
public struct SpendingWindow: Hashable, Sendable, Codable {
    /// Start of the window.
    public var since: Date
    /// Credits captured (charged) since `since`.
    public var charged: Credits
    /// The oldest hold or capture since `since`: how long the wallet has been dialing, within the window.
    public var firstActivityAt: Date?

    public init(since: Date, charged: Credits, firstActivityAt: Date?) {
        self.since = since
        self.charged = charged
        self.firstActivityAt = firstActivityAt
    }
}

/// How long a wallet lasts at its current dialing pace.
///
/// Pace = (credits captured in the window + credits held now) ÷ the time the wallet has been dialing within
/// the window (the last hour, at least `paceSpanSecondsMin`, so a campaign that just started is not
/// judged on a few seconds). Open holds count as spent: they are calls in flight, and counting them
/// warns early rather than late. Runway = available ÷ pace; nil while the wallet does not dial.
public struct Runway: Hashable, Sendable, Codable {
    public var walletId: WalletID
    public var available: Credits
    public var held: Credits
    /// Credits captured in the window.
    public var chargedInWindow: Credits
    /// Credits per hour at the current pace (0 when idle).
    public var creditsPerHour: Double
    /// Minutes until the wallet has no available credit at this pace; nil when it does not dial.
    public var runwayMinutes: Double?
    /// Start of the window the pace was measured over.
    public var windowStart: Date
    public var asOf: Date

    /// The window the pace is measured over.
    public static let windowSeconds: TimeInterval = 3600
    /// The shortest span a pace is computed over.
    public static let paceSpanSecondsMin: TimeInterval = 300

    public init(balance: Balance, window: SpendingWindow, now: Date) {
        walletId = balance.walletId
        available = balance.available
        held = balance.held
        chargedInWindow = window.charged
        windowStart = window.since
        asOf = now
        let spent = window.charged + balance.held
        let dialingFor = window.firstActivityAt.map { now.timeIntervalSince($0) } ?? 0
        let span = min(max(dialingFor, Self.paceSpanSecondsMin), Self.windowSeconds)
        creditsPerHour = spent > .zero ? Double(spent.count) / span * 3600 : 0
        runwayMinutes = creditsPerHour > 0 ? Double(balance.available.count) / creditsPerHour * 60 : nil
    }
}

/// The three alerts evaluated on every wallet.
public enum WalletAlertKind: String, Hashable, Sendable, Codable, CaseIterable {
    case lowBalance = "low_balance"
    case empty
    case runwayLow = "runway_low"

    public var eventType: NotificationEventType {
        switch self {
        case .lowBalance: .walletLowBalance
        case .empty: .walletEmpty
        case .runwayLow: .walletRunwayLow
        }
    }
}

/// Where one alert of one wallet stands: armed (`firedAt` nil) or fired, and how often it fired.
public struct WalletAlertState: Hashable, Sendable, Codable {
    public var kind: WalletAlertKind
    /// How many crossings were notified; the next one's event key ends in `crossings + 1`.
    public var crossings: Int
    /// When the alert last fired; nil while armed.
    public var firedAt: Date?

    public init(kind: WalletAlertKind, crossings: Int = 0, firedAt: Date? = nil) {
        self.kind = kind
        self.crossings = crossings
        self.firedAt = firedAt
    }
}

/// What the evaluator sees of one wallet.
public struct WalletObservation: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var balance: Balance
    public var window: SpendingWindow

    public init(workspaceId: WorkspaceID, balance: Balance, window: SpendingWindow) {
        self.workspaceId = workspaceId
        self.balance = balance
        self.window = window
    }
}

/// The alert rules: when a wallet alert fires, and when it may fire again.
///
/// An alert fires once per crossing: when its condition becomes true while it is armed. It re-arms only
/// when the condition is false again *and* credits arrived after it fired (a lot became effective after
/// `firedAt`): a hold released back over the threshold does not re-arm it, so a balance hovering at the
/// threshold does not flood the receiver. The runway alert also re-arms when the wallet stops dialing.
public enum WalletAlerts {
    /// The new states (only those that changed) and the events to emit.
    public static func evaluate(
        _ observation: WalletObservation, settings: NotificationSettings, states: [WalletAlertState], now: Date
    ) -> (changed: [WalletAlertState], events: [NewNotification]) {
        let balance = observation.balance
        let runway = Runway(balance: balance, window: observation.window, now: now)
        let lastArrival = balance.lots.map(\.effectiveAt).filter { $0 <= now }.max()
        var changed: [WalletAlertState] = []
        var events: [NewNotification] = []
        for kind in WalletAlertKind.allCases {
            let before = states.first { $0.kind == kind } ?? WalletAlertState(kind: kind)
            var state = before
            let low = isLow(kind, balance: balance, runway: runway, settings: settings)
            if let firedAt = state.firedAt {
                let arrived = lastArrival.map { $0 > firedAt } ?? false
                let idle = kind == .runwayLow && runway.runwayMinutes == nil
                if !low && (arrived || idle) { state.firedAt = nil }
            } else if low {
                state.crossings += 1
                state.firedAt = now
                events.append(
                    event(kind, crossing: state.crossings, observation, runway: runway, settings: settings, now: now))
            }
            if state != before { changed.append(state) }
        }
        return (changed, events)
    }

    static func isLow(
        _ kind: WalletAlertKind, balance: Balance, runway: Runway, settings: NotificationSettings
    ) -> Bool {
        switch kind {
        case .lowBalance:
            guard let threshold = settings.lowBalanceCredits else { return false }
            return balance.available < threshold
        case .empty:
            return balance.available == .zero
        case .runwayLow:
            guard let threshold = settings.runwayMinutes, let minutes = runway.runwayMinutes else { return false }
            return minutes < Double(threshold)
        }
    }

    static func event(
        _ kind: WalletAlertKind, crossing: Int, _ observation: WalletObservation, runway: Runway,
        settings: NotificationSettings, now: Date
    ) -> NewNotification {
        let balance = observation.balance
        var data: [String: JSONValue] = [
            "walletId": .string(balance.walletId), "available": .integer(balance.available.count),
            "held": .integer(balance.held.count),
        ]
        switch kind {
        case .lowBalance:
            data["thresholdCredits"] = settings.lowBalanceCredits.map { .integer($0.count) } ?? .null
        case .empty:
            break
        case .runwayLow:
            data["runwayMinutes"] = runway.runwayMinutes.map { .integer(Int64($0.rounded(.down))) } ?? .null
            data["thresholdMinutes"] = settings.runwayMinutes.map { .integer(Int64($0)) } ?? .null
            data["creditsPerHour"] = .integer(Int64(runway.creditsPerHour.rounded()))
        }
        return NewNotification(
            workspaceId: observation.workspaceId, type: kind.eventType,
            key: "\(kind.eventType.rawValue):\(balance.walletId):\(crossing)", data: data, occurredAt: now)
    }
}
