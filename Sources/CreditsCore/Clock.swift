import Foundation
import Synchronization

/// Where the current time comes from. Injected everywhere so a test can cross a boundary in one line.
public protocol CreditsClock: Sendable {
    /// The current instant (UTC).
    func now() -> Date
}

/// The system's wall clock.
public struct SystemClock: CreditsClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when a test moves it.
public final class ManualClock: CreditsClock {
    private let current: Mutex<Date>

    /// Creates a clock standing at `start`.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {  // 2026-01-01T00:00:00Z
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward (or back, for clock-jump tests) by `seconds`.
    public func advance(seconds: TimeInterval) { current.withLock { $0 += seconds } }

    /// Puts the clock at `date`.
    public func set(_ date: Date) { current.withLock { $0 = date } }
}
