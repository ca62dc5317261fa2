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
    public func now() -> Date { Date().wholeMilliseconds }
}

extension Date {
    /// This instant cut to whole milliseconds: the precision every store keeps, so a stored and
    /// re-read time equals the one first returned.
    public var wholeMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    /// Milliseconds since 1970 (UTC), as stored.
    public var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    /// The instant `milliseconds` after 1970 (UTC).
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}

/// A clock that only moves when a test moves it.
public final class ManualClock: CreditsClock {
    private let current: Mutex<Date>

    /// Creates a clock standing at `start`.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {  // 2026-01-01T00:00:00Z
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 }.wholeMilliseconds }

    /// Moves the clock forward (or back, for clock-jump tests) by `seconds`.
    public func advance(seconds: TimeInterval) { current.withLock { $0 += seconds } }

    /// Puts the clock at `date`.
    public func set(_ date: Date) { current.withLock { $0 = date } }
}
