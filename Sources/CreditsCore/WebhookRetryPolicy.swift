import Foundation

/// When a failed delivery is tried again: exponential backoff with a cap and a little jitter, up to
/// `attemptsMax` attempts. With the defaults the attempts are spread over about a day
/// (5 s, 25 s, 2 min, 10 min, 52 min, 4.3 h, then every 6 h), as Standard Webhooks recommends.
public struct WebhookRetryPolicy: Hashable, Sendable {
    /// Attempts in all, the first one included.
    public var attemptsMax: Int
    /// Delay after the first failed attempt.
    public var firstDelaySeconds: Double
    /// Each further delay is this many times the previous one.
    public var factor: Double
    /// The longest delay.
    public var delaySecondsMax: Double
    /// Each delay is moved by up to this fraction either way, so endpoints that failed together are
    /// not all retried at the same instant.
    public var jitterFraction: Double

    public init(
        attemptsMax: Int = 10, firstDelaySeconds: Double = 5, factor: Double = 5, delaySecondsMax: Double = 21_600,
        jitterFraction: Double = 0.1
    ) {
        precondition(attemptsMax >= 1 && firstDelaySeconds > 0 && factor >= 1 && delaySecondsMax >= firstDelaySeconds)
        precondition((0..<1).contains(jitterFraction))
        self.attemptsMax = attemptsMax
        self.firstDelaySeconds = firstDelaySeconds
        self.factor = factor
        self.delaySecondsMax = delaySecondsMax
        self.jitterFraction = jitterFraction
    }

    /// The delay after failed attempt number `attempt` (1-based), before jitter.
    public func baseDelaySeconds(afterAttempt attempt: Int) -> Double {
        let exponent = Double(max(attempt - 1, 0))
        return min(firstDelaySeconds * pow(factor, exponent), delaySecondsMax)
    }

    /// The delay with its jitter, derived from `seed` (the delivery id) so it needs no random source.
    public func delaySeconds(afterAttempt attempt: Int, seed: String) -> Double {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in Array(seed.utf8) + Array(String(attempt).utf8) {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let unit = Double(hash % 10_000) / 10_000  // [0, 1)
        return baseDelaySeconds(afterAttempt: attempt) * (1 + jitterFraction * (2 * unit - 1))
    }

    /// What attempt number `attempt` (1-based) came to: 2xx delivered, 410 the endpoint is gone; any other
    /// answer, or none, is retried until the attempts run out. Redirects are not followed (3xx fails).
    public func decide(attempt: Int, statusCode: Int?, seed: String, now: Date) -> DeliveryDecision {
        if let statusCode, (200..<300).contains(statusCode) { return .delivered }
        if statusCode == 410 { return .endpointGone }
        guard attempt < attemptsMax else { return .failed }
        return .retry(at: now.addingTimeInterval(delaySeconds(afterAttempt: attempt, seed: seed)))
    }
}
