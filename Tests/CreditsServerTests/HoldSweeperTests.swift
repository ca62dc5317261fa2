import CreditsCore
import CreditsStore
import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import CreditsServer

@Suite("Hold sweeper")
struct HoldSweeperTests {
    let clock = ManualClock()
    let store: MemoryStore
    let sweeper: HoldSweeper
    let workspace: CreatedWorkspace

    init() async throws {
        store = MemoryStore(clock: clock, ids: SequentialIDs())
        sweeper = HoldSweeper(store: store, intervalSeconds: 3600, logger: quietLogger)
        workspace = try await store.createWorkspace(
            NewWorkspace(name: "Acme", timeZone: "UTC", firstKey: APIKeySecret.generate(name: "k").key))
    }

    private func grant(_ amount: Credits, expiresAt: Date? = nil) async throws {
        _ = try await store.credit(
            CreditCommand(
                workspaceId: workspace.workspace.id, walletId: workspace.pool.id, amount: amount,
                source: .purchase, expiresAt: expiresAt, reason: "test", idempotencyKey: UUID().uuidString))
    }

    @Test func releasesATimedOutHoldAndMarksItForReconciliation() async throws {
        try await grant(1)
        _ = try await store.hold(
            HoldCommand(
                workspaceId: workspace.workspace.id, walletId: workspace.pool.id, attemptId: "att-1",
                timeoutSeconds: 60))
        #expect(try await sweeper.sweepOnce() == (0, 0))
        clock.advance(seconds: 61)
        #expect(try await sweeper.sweepOnce() == (1, 0))
        let hold = try #require(try await store.hold(workspaceId: workspace.workspace.id, attemptId: "att-1"))
        #expect(hold.state == .released)
        #expect(hold.releaseReason == .timeout)
        #expect(hold.needsReconciliation)
        #expect(
            try await store.balance(workspaceId: workspace.workspace.id, walletId: workspace.pool.id).available == 1)
    }

    @Test func expiresALotPastItsExpiry() async throws {
        try await grant(5, expiresAt: clock.now().addingTimeInterval(3600))
        #expect(try await sweeper.sweepOnce() == (0, 0))
        clock.advance(seconds: 3600)
        #expect(try await sweeper.sweepOnce() == (0, 1))
        let page = try await store.entries(EntryQuery(workspaceId: workspace.workspace.id))
        #expect(page.entries.first?.kind == .expiry)
        #expect(page.entries.first?.amount == 5)
        #expect(try await store.verify().isEmpty)
    }

    @Test func sweepsEveryBatchWhenMoreThanOneBatchIsDue() async throws {
        let count = Limits.sweepBatchMax + 3
        try await grant(Credits(Int64(count)))
        for index in 0..<count {
            _ = try await store.hold(
                HoldCommand(
                    workspaceId: workspace.workspace.id, walletId: workspace.pool.id, attemptId: "att-\(index)",
                    timeoutSeconds: 5))
        }
        clock.advance(seconds: 5)
        #expect(try await sweeper.sweepOnce() == (count, 0))
    }

    @Test func aLateCaptureAfterTheTimeoutIsStillCharged() async throws {
        let harness = Harness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 2)
            _ = try await client.hold(workspace, attempt: "att-1", extra: #", "timeoutSeconds": 5"#)
            harness.clock.advance(seconds: 5)
            let sweeper = HoldSweeper(store: harness.store, intervalSeconds: 3600, logger: quietLogger)
            #expect(try await sweeper.sweepOnce() == (1, 0))
            let swept = try decode(Hold.self, try await client.send(.get, "/v1/holds/att-1", token: workspace.secret))
            #expect(swept.needsReconciliation)
            let capture = try await client.send(.post, "/v1/holds/att-1/capture", token: workspace.secret)
            #expect(capture.status == .ok)
            #expect(try decode(Hold.self, capture).state == .captured)
            #expect(try await client.balance(workspace).available == 1)
        }
    }

    @Test func stopsOnGracefulShutdown() async throws {
        let logger = quietLogger
        let group = ServiceGroup(
            configuration: .init(
                services: [HoldSweeper(store: store, intervalSeconds: 0.05, logger: logger)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(120))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
