import CreditsCore
import CreditsPostgres
import CreditsStore
import Foundation
import Testing

/// Several processes sending webhooks from one PostgreSQL database.
@Suite("Notifications on PostgreSQL", .enabled(if: PostgresTestDatabase.isConfigured), .serialized)
struct NotificationPostgresTests {
    /// Claims and records as a sender does, until a claim comes back empty; the deliveries it claimed.
    static func drain(_ store: PostgresStore, workspaceId: WorkspaceID, clock: ManualClock) async throws
        -> [DeliveryID]
    {
        var claimed: [DeliveryID] = []
        while true {
            let claims = try await store.claimDueDeliveries(limit: 8, leaseSeconds: 60)
            if claims.isEmpty {
                // The other sender may hold every due row right now: done only when nothing is pending.
                let pending = try await store.deliveries(
                    DeliveryQuery(workspaceId: workspaceId, status: .pending, limit: 1))
                if pending.deliveries.isEmpty { return claimed }
                continue
            }
            for claim in claims {
                claimed.append(claim.delivery.id)
                let recorded = try await store.recordDeliveryAttempt(
                    DeliveryAttempt(
                        workspaceId: workspaceId, deliveryId: claim.delivery.id, token: claim.token,
                        attemptedAt: clock.now(), statusCode: 200, error: nil, decision: .delivered))
                #expect(recorded?.status == .delivered)
            }
        }
    }

    @Test("two senders on one database deliver each of 300 deliveries exactly once")
    func twoSendersDeliverOnce() async throws {
        let clock = ManualClock()
        try await withTwoPostgresStores(clock: clock) { first, second, database in
            let created = try await newWorkspace(first, credits: 1)
            let workspaceId = created.workspace.id
            for url in ["https://a.example/h", "https://b.example/h", "https://c.example/h"] {
                _ = try await first.createWebhookEndpoint(
                    NewWebhookEndpoint(
                        workspaceId: workspaceId, url: url, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
            }
            for index in 0..<100 {
                try await first.emit(
                    .purchaseCompleted(
                        workspaceId: workspaceId, paymentId: "pay_\(index)", walletId: created.pool.id, credits: 1,
                        lotId: nil, completedAt: clock.now()))
            }
            async let one = Self.drain(first, workspaceId: workspaceId, clock: clock)
            async let two = Self.drain(second, workspaceId: workspaceId, clock: clock)
            let (fromFirst, fromSecond) = try await (one, two)
            #expect(fromFirst.count + fromSecond.count == 300)
            #expect(Set(fromFirst).isDisjoint(with: fromSecond))
            #expect(Set(fromFirst + fromSecond).count == 300)
            #expect(!fromFirst.isEmpty && !fromSecond.isEmpty, "both senders took part")
            #expect(
                try await database.scalar(
                    "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered' AND attempts = 1") == 300)
        }
    }

    @Test("two processes evaluating one wallet at once notify its crossing once")
    func twoEvaluators() async throws {
        try await withTwoPostgresStores { first, second, database in
            let created = try await newWorkspace(first, credits: 3)
            _ = try await first.setNotificationSettings(
                workspaceId: created.workspace.id, NotificationSettings(lowBalanceCredits: 5))
            let results = try await withThrowingTaskGroup(of: [EmitResult].self) { group in
                for index in 0..<10 {
                    let store = index.isMultiple(of: 2) ? first : second
                    group.addTask {
                        try await store.evaluateWalletAlerts(
                            workspaceId: created.workspace.id, walletId: created.pool.id)
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(results.filter(\.created).count == 1)
            #expect(try await database.scalar("SELECT count(*) FROM notification_events") == 1)
        }
    }
}
