import CreditsCore
import Foundation
import Testing

@Suite("Wallet alerts and runway")
struct WalletAlertsTests {
    let start = Date(timeIntervalSince1970: 1_767_225_600)
    let settings = NotificationSettings(lowBalanceCredits: 100, runwayMinutes: 30)

    /// A wallet with one lot of `remaining` credits (effective at `arrived`) and `held` credits on hold.
    func observation(
        remaining: Int64, held: Int64 = 0, arrived: Date? = nil, charged: Int64 = 0, dialingSince: Date? = nil,
        now: Date
    ) -> WalletObservation {
        let lot = Lot(
            id: "lot_1", workspaceId: "ws_1", walletId: "wal_1", source: .purchase,
            amount: Credits(remaining + held + charged), remaining: Credits(remaining), held: Credits(held),
            effectiveAt: arrived ?? start, expiresAt: nil, createdAt: arrived ?? start)
        return WalletObservation(
            workspaceId: "ws_1", balance: Balance(walletId: "wal_1", lots: [lot], now: now),
            window: SpendingWindow(
                since: now.addingTimeInterval(-3600), charged: Credits(charged), firstActivityAt: dialingSince))
    }

    /// Runs the rules over a sequence of observations, carrying the states along; the event keys fired.
    func run(_ observations: [(WalletObservation, Date)], settings: NotificationSettings? = nil) -> [String] {
        let settings = settings ?? self.settings
        var states: [WalletAlertState] = []
        var keys: [String] = []
        for (observation, now) in observations {
            let (changed, events) = WalletAlerts.evaluate(observation, settings: settings, states: states, now: now)
            for state in changed {
                states.removeAll { $0.kind == state.kind }
                states.append(state)
            }
            keys += events.map(\.key)
        }
        return keys
    }

    @Test("a balance falling under the threshold notifies once, however long it stays under")
    func lowBalanceOnce() {
        let keys = run([
            (observation(remaining: 150, now: start), start),
            (observation(remaining: 99, now: start), start),
            (observation(remaining: 80, now: start), start),
            (observation(remaining: 60, now: start), start),
        ])
        #expect(keys == ["wallet.low_balance:wal_1:1"])
    }

    @Test("a hold released back over the threshold does not re-arm the alert; credits arriving do")
    func rearmOnlyWhenCreditsArrive() {
        let later = start.addingTimeInterval(60)
        let keys = run([
            (observation(remaining: 99, held: 1, now: start), start),
            (observation(remaining: 100, now: later), later),  // the held credit came back
            (observation(remaining: 99, held: 1, now: later), later),
            (observation(remaining: 500, arrived: later, now: later), later),  // a purchase
            (observation(remaining: 90, arrived: later, now: later), later),
        ])
        #expect(keys == ["wallet.low_balance:wal_1:1", "wallet.low_balance:wal_1:2"])
    }

    @Test("an empty wallet notifies wallet.empty once, with low balance")
    func empty() {
        let keys = run(
            [
                (observation(remaining: 0, held: 1, now: start), start),
                (observation(remaining: 0, now: start), start),
            ], settings: NotificationSettings(lowBalanceCredits: 100))
        #expect(Set(keys) == ["wallet.empty:wal_1:1", "wallet.low_balance:wal_1:1"])
    }

    @Test("no threshold, no low-balance alert")
    func thresholdOff() {
        let (_, events) = WalletAlerts.evaluate(
            observation(remaining: 5, now: start), settings: NotificationSettings(), states: [], now: start)
        #expect(events.isEmpty)
    }

    @Test("pace counts captures and open holds over the time the wallet has been dialing, at least five minutes")
    func pace() {
        let now = start.addingTimeInterval(3600)
        // 50 captured + 10 held over the last 30 minutes: 120 per hour; 600 available last 5 hours.
        let steady = Runway(
            balance: observation(remaining: 600, held: 10, now: now).balance,
            window: SpendingWindow(
                since: now.addingTimeInterval(-3600), charged: 50, firstActivityAt: now.addingTimeInterval(-1800)),
            now: now)
        #expect(steady.creditsPerHour == 120)
        #expect(steady.runwayMinutes == 300)
        // A campaign that started 10 seconds ago is judged over five minutes, not ten seconds.
        let starting = Runway(
            balance: observation(remaining: 100, held: 10, now: now).balance,
            window: SpendingWindow(
                since: now.addingTimeInterval(-3600), charged: 0, firstActivityAt: now.addingTimeInterval(-10)),
            now: now)
        #expect(starting.creditsPerHour == 120)
        #expect(starting.runwayMinutes == 50)
        // Nothing dialed: no pace, no runway.
        let idle = Runway(
            balance: observation(remaining: 100, now: now).balance,
            window: SpendingWindow(since: now.addingTimeInterval(-3600), charged: 0, firstActivityAt: nil), now: now)
        #expect(idle.creditsPerHour == 0 && idle.runwayMinutes == nil)
    }

    @Test("a runway dropping under the threshold notifies once; it re-arms when the wallet stops dialing")
    func runway() {
        let now = start.addingTimeInterval(3600)
        let dialing = now.addingTimeInterval(-1800)
        // 60 credits per hour: 40 available last 40 minutes (over 30), 20 last 20 (under).
        let keys = run(
            [
                (observation(remaining: 40, charged: 30, dialingSince: dialing, now: now), now),
                (observation(remaining: 20, charged: 30, dialingSince: dialing, now: now), now),
                (observation(remaining: 10, charged: 30, dialingSince: dialing, now: now), now),
                (observation(remaining: 10, now: now), now),  // idle for an hour
                (observation(remaining: 10, charged: 30, dialingSince: dialing, now: now), now),
            ], settings: NotificationSettings(runwayMinutes: 30))
        #expect(keys == ["wallet.runway_low:wal_1:1", "wallet.runway_low:wal_1:2"])
    }

    @Test("an alert's event carries the wallet, the figures and the threshold")
    func eventData() throws {
        let (_, events) = WalletAlerts.evaluate(
            observation(remaining: 42, held: 3, now: start), settings: settings, states: [], now: start)
        let event = try #require(events.first { $0.type == .walletLowBalance })
        #expect(event.data["walletId"] == "wal_1")
        #expect(event.data["available"] == 42)
        #expect(event.data["held"] == 3)
        #expect(event.data["thresholdCredits"] == 100)
        let stored = try event.event(id: "msg_1", now: start)
        #expect(
            stored.payload
                == #"{"data":{"available":42,"held":3,"thresholdCredits":100,"walletId":"wal_1","workspaceId":"ws_1"},"#
                + #""timestamp":"2026-01-01T00:00:00.000Z","type":"wallet.low_balance"}"#)
    }
}

@Suite("Webhook retry policy")
struct WebhookRetryPolicyTests {
    let now = Date(timeIntervalSince1970: 1_767_225_600)

    @Test("delays grow by the factor up to the cap")
    func backoff() {
        let policy = WebhookRetryPolicy(attemptsMax: 10, firstDelaySeconds: 5, factor: 5, delaySecondsMax: 21_600)
        let delays = (1...8).map { policy.baseDelaySeconds(afterAttempt: $0) }
        #expect(delays == [5, 25, 125, 625, 3125, 15_625, 21_600, 21_600])
    }

    @Test("jitter stays within its fraction and is the same for the same delivery")
    func jitter() {
        let policy = WebhookRetryPolicy()
        for attempt in 1...9 {
            let base = policy.baseDelaySeconds(afterAttempt: attempt)
            let delay = policy.delaySeconds(afterAttempt: attempt, seed: "dlv_1")
            #expect(abs(delay - base) <= base * 0.1)
            #expect(delay == policy.delaySeconds(afterAttempt: attempt, seed: "dlv_1"))
        }
    }

    @Test("2xx delivers, 410 gives the endpoint up, anything else retries until the attempts run out")
    func decisions() {
        let policy = WebhookRetryPolicy(attemptsMax: 3, jitterFraction: 0)
        #expect(policy.decide(attempt: 1, statusCode: 204, seed: "d", now: now) == .delivered)
        #expect(policy.decide(attempt: 1, statusCode: 410, seed: "d", now: now) == .endpointGone)
        #expect(policy.decide(attempt: 1, statusCode: 500, seed: "d", now: now) == .retry(at: now + 5))
        #expect(policy.decide(attempt: 2, statusCode: nil, seed: "d", now: now) == .retry(at: now + 25))
        #expect(policy.decide(attempt: 2, statusCode: 301, seed: "d", now: now) == .retry(at: now + 25))
        #expect(policy.decide(attempt: 3, statusCode: 500, seed: "d", now: now) == .failed)
    }
}
