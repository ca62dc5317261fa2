import CreditsCore
import CreditsStore
import Foundation
import Testing

extension Fixture {
    /// Holds and captures one credit for each of `count` new attempts.
    func spend(_ count: Int, prefix: String = "call") async throws {
        for index in 0..<count {
            let attempt = "\(prefix)-\(UUID().uuidString.prefix(8))-\(index)"
            try await hold(attempt)
            try await store.capture(workspaceId: workspace, attemptId: attempt)
        }
    }

    func evaluate() async throws -> [EmitResult] {
        try await store.evaluateWalletAlerts(workspaceId: workspace, walletId: pool)
    }

    func threshold(lowBalance: Int64?, runwayMinutes: Int? = nil) async throws {
        _ = try await store.setNotificationSettings(
            workspaceId: workspace,
            NotificationSettings(lowBalanceCredits: lowBalance.map { Credits($0) }, runwayMinutes: runwayMinutes))
    }
}

/// Wallet alerts through the store: detection, one event per crossing, and the runway's spending window.
@Suite("Wallet alert store conformance")
struct WalletAlertStoreTests {
    @Test("one crossing of the low-balance threshold notifies once; a purchase re-arms it", arguments: Backend.all)
    func lowBalanceOncePerCrossing(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.threshold(lowBalance: 10)
        try await fixture.endpoint(types: [.walletLowBalance])
        try await fixture.grant(12)
        #expect(try await fixture.evaluate().isEmpty)
        try await fixture.spend(3)  // 9 left
        let fired = try await fixture.evaluate()
        #expect(fired.map(\.event.type) == [.walletLowBalance] && fired.first?.deliveries == 1)
        #expect(fired.first?.event.key == "wallet.low_balance:\(fixture.pool):1")
        #expect(fired.first?.event.payload.contains(#""available":9"#) == true)
        #expect(try await fixture.evaluate().isEmpty)
        try await fixture.spend(2)
        #expect(try await fixture.evaluate().isEmpty)
        fixture.clock.advance(seconds: 1)
        try await fixture.grant(50)
        #expect(try await fixture.evaluate().isEmpty)
        try await fixture.spend(48)  // 9 left
        #expect(try await fixture.evaluate().map(\.event.key) == ["wallet.low_balance:\(fixture.pool):2"])
        let log = try await fixture.store.deliveries(DeliveryQuery(workspaceId: fixture.workspace))
        #expect(log.deliveries.count == 2)
    }

    @Test("a wallet with nothing available notifies wallet.empty once", arguments: Backend.all)
    func empty(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.threshold(lowBalance: nil, runwayMinutes: nil)
        try await fixture.grant(2)
        try await fixture.spend(1)
        try await fixture.hold("last-call")
        let fired = try await fixture.evaluate()
        #expect(fired.map(\.event.type) == [.walletEmpty])
        #expect(fired.first?.event.payload.contains(#""held":1"#) == true)
        try await fixture.store.capture(workspaceId: fixture.workspace, attemptId: "last-call")
        #expect(try await fixture.evaluate().isEmpty)
    }

    @Test("two evaluators at once notify a crossing once", arguments: Backend.all)
    func concurrentEvaluators(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.threshold(lowBalance: 5)
        try await fixture.endpoint()
        try await fixture.grant(4)
        let results = try await withThrowingTaskGroup(of: [EmitResult].self) { group in
            for _ in 0..<6 { group.addTask { try await fixture.evaluate() } }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(results.filter(\.created).map(\.event.type) == [.walletLowBalance])
        #expect(try await fixture.store.deliveries(DeliveryQuery(workspaceId: fixture.workspace)).deliveries.count == 1)
    }

    @Test("the runway falls under its threshold at a steady dialing pace", arguments: Backend.all)
    func runway(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.threshold(lowBalance: nil, runwayMinutes: 30)
        try await fixture.grant(100)
        // Two calls a minute for 20 minutes: 40 spent, 60 left, 120 per hour: 30 minutes left.
        for _ in 0..<20 {
            try await fixture.spend(2)
            fixture.clock.advance(seconds: 60)
        }
        let window = try await fixture.store.spendingWindow(
            workspaceId: fixture.workspace, walletId: fixture.pool, since: fixture.clock.now().addingTimeInterval(-3600)
        )
        #expect(window.charged == 40)
        #expect(window.firstActivityAt == fixture.clock.now().addingTimeInterval(-1200))
        let balance = try await fixture.balance()
        let runway = try await fixture.store.runway(
            workspaceId: fixture.workspace, walletId: fixture.pool, balance: balance, now: fixture.clock.now())
        #expect(runway.creditsPerHour == 120 && runway.runwayMinutes == 30)
        #expect(try await fixture.evaluate().isEmpty)  // 30 is not under 30
        try await fixture.spend(2)
        let fired = try await fixture.evaluate()
        #expect(fired.map(\.event.type) == [.walletRunwayLow])
        #expect(fired.first?.event.payload.contains(#""thresholdMinutes":30"#) == true)
    }

    @Test("the spending window counts captures since its start only", arguments: Backend.all)
    func spendingWindow(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(20)
        try await fixture.spend(5)
        fixture.clock.advance(seconds: 7200)
        try await fixture.spend(2)
        try await fixture.hold("open")
        let since = fixture.clock.now().addingTimeInterval(-3600)
        let window = try await fixture.store.spendingWindow(
            workspaceId: fixture.workspace, walletId: fixture.pool, since: since)
        #expect(window == SpendingWindow(since: since, charged: 2, firstActivityAt: fixture.clock.now()))
        let idle = try await fixture.store.spendingWindow(
            workspaceId: fixture.workspace, walletId: fixture.pool, since: fixture.clock.now().addingTimeInterval(1))
        #expect(idle.charged == 0 && idle.firstActivityAt == nil)
    }

    @Test("wallets with an open hold are the dialing ones", arguments: Backend.all)
    func dialingWallets(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let other = try await fixture.another()
        try await fixture.grant(5)
        try await other.grant(5)
        try await fixture.hold("a")
        try await fixture.hold("b")
        try await other.spend(1)
        #expect(
            try await fixture.store.walletsWithOpenHolds(limit: 100)
                == [WalletRef(workspaceId: fixture.workspace, walletId: fixture.pool)])
    }
}
