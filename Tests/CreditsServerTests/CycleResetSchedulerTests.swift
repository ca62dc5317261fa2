import CreditsCore
import CreditsStore
import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import CreditsServer

@Suite("Cycle reset scheduler")
struct CycleResetSchedulerTests {
    let clock = ManualClock()
    let store: MemoryStore

    init() async throws {
        store = MemoryStore(clock: clock, ids: SequentialIDs())
        _ = try await store.putPlan(
            Plan(id: "basic", name: "Basic", monthlyAllotment: 100, priceMinor: 0, currency: "USD"))
    }

    func scheduler(intervalSeconds: Double = 3600) -> CycleResetScheduler {
        CycleResetScheduler(
            store: store, clock: clock, intervalSeconds: intervalSeconds, logger: quietLogger)
    }

    /// A workspace subscribed to the basic plan, anchored at the clock's now.
    @discardableResult
    func subscribed() async throws -> WorkspaceID {
        let created = try await store.createWorkspace(
            NewWorkspace(name: "Acme", timeZone: "America/New_York", firstKey: APIKeySecret.generate(name: "k").key))
        _ = try await store.createSubscription(NewSubscription(workspaceId: created.workspace.id, planId: "basic"))
        return created.workspace.id
    }

    @Test func aRunResetsWhatIsDueEnqueuesOneEventEachAndTheNextRunDoesNothing() async throws {
        let workspace = try await subscribed()
        try await listenToEvents(store, workspace)
        let reports = try await scheduler().runOnce()
        #expect(reports.map(\.outcome) == [.reset] && reports.first?.workspaceId == workspace)
        #expect(try await scheduler().runOnce().isEmpty)
        #expect(try await deliveredEventTypes(store, workspace) == [.cycleReset])
    }

    @Test func aRunTakesBatchAfterBatchUntilNoneAreDue() async throws {
        for _ in 0..<(Limits.resetBatchMax + 2) { try await subscribed() }
        let reports = try await scheduler().runOnce()
        #expect(reports.count == Limits.resetBatchMax + 2 && reports.allSatisfy { $0.outcome == .reset })
    }

    @Test func itSleepsUntilTheNextResetIsDueButNoLongerThanItsInterval() async throws {
        #expect(try await scheduler(intervalSeconds: 30).secondsUntilNextDue() == 30)
        try await subscribed()
        #expect(try await scheduler(intervalSeconds: 30).secondsUntilNextDue() == 0.05)
        _ = try await scheduler().runOnce()
        #expect(try await scheduler(intervalSeconds: 30).secondsUntilNextDue() == 30)
        let next = try #require(try await store.nextCycleResetDue())
        clock.set(next.addingTimeInterval(-10))
        #expect(try await scheduler(intervalSeconds: 30).secondsUntilNextDue() == 10)
    }

    @Test func asAServiceItResetsWhileRunningAndStopsOnGracefulShutdown() async throws {
        let workspace = try await subscribed()
        let group = ServiceGroup(
            configuration: .init(services: [scheduler(intervalSeconds: 0.05)], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var granted = false
            for _ in 0..<100 where !granted {
                try await Task.sleep(for: .milliseconds(20))
                granted = try await store.subscription(workspaceId: workspace)?.lastResetCycle == 0
            }
            #expect(granted)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
