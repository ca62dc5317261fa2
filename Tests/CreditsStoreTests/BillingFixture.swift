import CreditsCore
import CreditsStore
import Foundation
import Testing

/// Plans and dates the billing tests share.
enum BillingTestData {
    static let basic = Plan(id: "basic", name: "Basic", monthlyAllotment: 100, priceMinor: 4_900, currency: "USD")
    static let pro = Plan(id: "pro", name: "Pro", monthlyAllotment: 500, priceMinor: 19_900, currency: "USD")
    static let small = CreditPackage(id: "small", name: "10 credits", credits: 10, priceMinor: 1_000, currency: "USD")

    /// An instant written as RFC 3339 (with its offset).
    static func date(_ text: String) -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else { preconditionFailure("bad date \(text)") }
        return date
    }
}

extension Fixture {
    /// A fresh store with one workspace in `timeZone`, the clock at `start`.
    static func make(_ backend: Backend, timeZone: String, start: Date) async throws -> Fixture {
        let clock = ManualClock(start)
        let store = try await backend.makeStore(clock: clock)
        let created = try await store.createWorkspace(
            NewWorkspace(name: "Acme", timeZone: timeZone, firstKey: APIKeySecret.generate(name: "first").key))
        return Fixture(store: store, clock: clock, workspace: created.workspace.id, pool: created.pool.id)
    }

    /// Puts the basic and pro plans and subscribes the workspace to `plan`, anchored at `anchor` (default now).
    @discardableResult
    func subscribe(_ plan: Plan = BillingTestData.basic, anchor: Date? = nil) async throws -> Subscription {
        _ = try await store.putPlan(BillingTestData.basic)
        _ = try await store.putPlan(BillingTestData.pro)
        return try await store.createSubscription(
            NewSubscription(workspaceId: workspace, planId: plan.id, startedAt: anchor, anchor: anchor))
    }

    /// Runs the scheduler's work once: every due reset.
    func resetDue() async throws -> [CycleResetReport] {
        try await store.resetDueCycles(limit: Limits.resetBatchMax)
    }

    func summary() async throws -> BillingSummary { try await store.billingSummary(workspaceId: workspace) }

    /// Registers a webhook endpoint, so every event enqueued from now on gets one delivery to count.
    func listen() async throws {
        _ = try await store.createWebhookEndpoint(
            NewWebhookEndpoint(workspaceId: workspace, url: "https://hooks.test/e", secret: "whsec_dGVzdA=="))
    }

    /// The types of the events enqueued since `listen()`, oldest first.
    func eventTypes() async throws -> [NotificationEventType] {
        try await store.deliveries(DeliveryQuery(workspaceId: workspace, limit: Limits.pageSizeMax)).deliveries
            .reversed().map(\.eventType)
    }

    /// The pool's allotment lots of cycle `index`, from the grants in the entries.
    func allotmentGrants() async throws -> [LedgerEntry] {
        try await store.entries(EntryQuery(workspaceId: workspace, limit: Limits.pageSizeMax)).entries
            .filter { $0.kind == .grant && $0.reason.hasPrefix("plan allotment") }
    }

    /// Spends `count` credits: holds and captures that many attempts named `prefix-…`.
    func spendCredits(_ count: Int, prefix: String = "spent") async throws {
        for index in 0..<count {
            try await hold("\(prefix)-\(index)", timeoutSeconds: 86_400)
            _ = try await store.capture(workspaceId: workspace, attemptId: "\(prefix)-\(index)")
        }
    }
}
