import CreditsCore
import CreditsPostgres
import CreditsSQLite
import CreditsStore
import Foundation
import Testing

/// Two store instances on one database, as two processes of the service would be: resets and payment
/// confirmations still happen exactly once.
@Suite("Billing with two processes")
struct BillingTwoProcessTests {
    /// `count` workspaces subscribed to the basic plan, anchored at `clock`'s now, made through `store`.
    func subscribedWorkspaces(_ store: any ServiceStore, count: Int) async throws -> [WorkspaceID] {
        _ = try await store.putPlan(BillingTestData.basic)
        var workspaces: [WorkspaceID] = []
        for index in 0..<count {
            let created = try await store.createWorkspace(
                NewWorkspace(name: "W\(index)", timeZone: "UTC", firstKey: APIKeySecret.generate(name: "k").key))
            _ = try await store.createSubscription(
                NewSubscription(workspaceId: created.workspace.id, planId: "basic"))
            workspaces.append(created.workspace.id)
        }
        return workspaces
    }

    /// Both stores run the scheduler's work four times at once; every workspace must be reset once.
    func raceSchedulers(_ first: any ServiceStore, _ second: any ServiceStore, workspaces: [WorkspaceID]) async throws {
        let reports = try await withThrowingTaskGroup(of: [CycleResetReport].self) { group in
            for index in 0..<8 {
                let store = index.isMultiple(of: 2) ? first : second
                group.addTask { try await store.resetDueCycles(limit: 7) + store.resetDueCycles(limit: 500) }
            }
            return try await group.reduce(into: [CycleResetReport]()) { $0 += $1 }
        }
        let resets = reports.filter { $0.outcome == .reset }
        #expect(resets.count == workspaces.count)
        #expect(Set(resets.map(\.workspaceId)) == Set(workspaces))
        for workspace in workspaces {
            let summary = try await second.billingSummary(workspaceId: workspace)
            #expect(summary.available == 100 && summary.allotment?.granted == 100)
        }
        #expect(try await first.verify().isEmpty)
    }

    @Test("SQLite: two stores on one file reset each workspace once")
    func sqliteSchedulers() async throws {
        let path = TemporaryFolder.make().appending("two.sqlite")
        let clock = ManualClock()
        let first = try SQLiteStore(path: path, clock: clock)
        try await first.migrate()
        let second = try SQLiteStore(path: path, clock: clock)
        let workspaces = try await subscribedWorkspaces(first, count: 30)
        try await raceSchedulers(first, second, workspaces: workspaces)
    }

    @Test("PostgreSQL: two stores reset each workspace once", .enabled(if: PostgresTestDatabase.isConfigured))
    func postgresSchedulers() async throws {
        let clock = ManualClock()
        try await withTwoPostgresStores(clock: clock) { first, second, _ in
            let workspaces = try await subscribedWorkspaces(first, count: 30)
            try await raceSchedulers(first, second, workspaces: workspaces)
        }
    }

    @Test(
        "PostgreSQL: a payment confirmed by two processes at once adds one lot",
        .enabled(if: PostgresTestDatabase.isConfigured))
    func postgresConfirmations() async throws {
        try await withTwoPostgresStores { first, second, _ in
            let created = try await first.createWorkspace(
                NewWorkspace(name: "Acme", timeZone: "UTC", firstKey: APIKeySecret.generate(name: "k").key))
            let workspace = created.workspace.id
            _ = try await first.putPackage(BillingTestData.small)
            let purchase = try await first.createPurchase(
                NewPurchase(workspaceId: workspace, packageId: "small", provider: "stripe", idempotencyKey: "k")
            ).purchase
            let results = try await withThrowingTaskGroup(of: PurchaseCompletion.self) { group in
                for index in 0..<10 {
                    let store = index.isMultiple(of: 2) ? first : second
                    group.addTask {
                        try await store.completePurchase(
                            workspaceId: workspace, purchaseId: purchase.id, paymentReference: "pi_1")
                    }
                }
                return try await group.reduce(into: [PurchaseCompletion]()) { $0.append($1) }
            }
            #expect(results.filter { !$0.replayed }.count == 1)
            #expect(try await second.balance(workspaceId: workspace, walletId: created.pool.id).available == 10)
            #expect(try await first.verify().isEmpty)
        }
    }
}
