import CreditsCore
import CreditsStore
import Foundation
import Testing

/// The package catalogue and purchases, on every backend (issue 5).
@Suite("Purchase conformance")
struct PurchaseConformanceTests {
    typealias Data = BillingTestData

    /// A pending purchase of `package` (put into the catalogue first) for the fixture's workspace.
    func start(_ fixture: Fixture, _ package: CreditPackage = Data.small, key: String = "buy-1") async throws
        -> Purchase
    {
        _ = try await fixture.store.putPackage(package)
        return try await fixture.store.createPurchase(
            NewPurchase(workspaceId: fixture.workspace, packageId: package.id, provider: "builtin", idempotencyKey: key)
        ).purchase
    }

    func complete(_ fixture: Fixture, _ purchase: Purchase, payment: String = "pay-1") async throws
        -> PurchaseCompletion
    {
        try await fixture.store.completePurchase(
            workspaceId: fixture.workspace, purchaseId: purchase.id, paymentReference: payment)
    }

    @Test("a confirmed payment adds one lot; the same confirmation again replays it", arguments: Backend.all)
    func confirmOnce(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let purchase = try await start(fixture)
        #expect(purchase.status == .pending && purchase.credits == 10 && purchase.priceMinor == 1_000)
        #expect(try await fixture.balance().available == 0)
        let first = try await complete(fixture, purchase)
        #expect(!first.replayed && first.purchase.status == .completed && first.lot?.amount == 10)
        #expect(first.lot?.source == .purchase && first.lot?.reference == purchase.id && first.lot?.expiresAt == nil)
        let again = try await complete(fixture, purchase)
        #expect(again.replayed && again.lot == first.lot && again.purchase == first.purchase)
        #expect(try await fixture.balance().available == 10)
        #expect(try await fixture.store.purchase(provider: "builtin", paymentReference: "pay-1") == first.purchase)
        try await fixture.expectClean()
    }

    @Test(
        "confirmations delivered concurrently add exactly one lot and enqueue one purchase.completed",
        arguments: Backend.all)
    func concurrentConfirmations(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.listen()
        let purchase = try await start(fixture)
        let results = try await withThrowingTaskGroup(of: PurchaseCompletion.self) { group in
            for _ in 0..<12 { group.addTask { try await complete(fixture, purchase) } }
            return try await group.reduce(into: [PurchaseCompletion]()) { $0.append($1) }
        }
        #expect(results.filter { !$0.replayed }.count == 1)
        #expect(Set(results.compactMap(\.lot?.id)).count == 1)
        #expect(try await fixture.balance().available == 10)
        #expect(try await fixture.eventTypes() == [.purchaseCompleted])
        try await fixture.expectClean()
    }

    @Test("a purchase is idempotent on its key; the key for another package is a conflict", arguments: Backend.all)
    func purchaseKey(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let first = try await start(fixture)
        let again = try await fixture.store.createPurchase(
            NewPurchase(
                workspaceId: fixture.workspace, packageId: "small", provider: "builtin", idempotencyKey: "buy-1"))
        #expect(again.replayed && again.purchase == first)
        var large = Data.small
        large.id = "large"
        _ = try await fixture.store.putPackage(large)
        #expect(
            await fixture.refusal {
                try await fixture.store.createPurchase(
                    NewPurchase(
                        workspaceId: fixture.workspace, packageId: "large", provider: "builtin", idempotencyKey: "buy-1"
                    ))
            } == .idempotencyConflict)
        let racing = try await withThrowingTaskGroup(of: PurchaseStart.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await fixture.store.createPurchase(
                        NewPurchase(
                            workspaceId: fixture.workspace, packageId: "large", provider: "builtin",
                            idempotencyKey: "buy-2"))
                }
            }
            return try await group.reduce(into: [PurchaseStart]()) { $0.append($1) }
        }
        #expect(Set(racing.map(\.purchase.id)).count == 1 && racing.filter { !$0.replayed }.count == 1)
        #expect(try await fixture.store.purchases(workspaceId: fixture.workspace, limit: 10).count == 2)
    }

    @Test("purchased credits never expire within the billing period they were bought in", arguments: Backend.all)
    func expiryNotWithinPeriod(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let cycles = try await fixture.subscribe().validate()
        fixture.clock.advance(seconds: 10 * 86_400)
        var shortLived = Data.small
        shortLived.id = "week"
        shortLived.validityDays = 7
        let week = try await complete(fixture, try await start(fixture, shortLived, key: "w"), payment: "p1")
        #expect(week.lot?.expiresAt == cycles.start(ofCycle: 1))
        var longLived = Data.small
        longLived.id = "quarter"
        longLived.validityDays = 90
        let quarter = try await complete(fixture, try await start(fixture, longLived, key: "q"), payment: "p2")
        #expect(quarter.lot?.expiresAt == fixture.clock.now().addingTimeInterval(90 * 86_400))
        let forever = try await complete(fixture, try await start(fixture, Data.small, key: "f"), payment: "p3")
        #expect(forever.lot?.expiresAt == nil && forever.purchase.expiresAt == nil)
        let noSubscription = try await fixture.another()
        _ = try await fixture.store.putPackage(shortLived)
        let bought = try await fixture.store.createPurchase(
            NewPurchase(
                workspaceId: noSubscription.workspace, packageId: "week", provider: "builtin", idempotencyKey: "k"))
        let done = try await fixture.store.completePurchase(
            workspaceId: noSubscription.workspace, purchaseId: bought.purchase.id, paymentReference: nil)
        #expect(done.lot?.expiresAt == fixture.clock.now().addingTimeInterval(7 * 86_400))
    }

    @Test("a refund takes back the unused credits and reports those already spent", arguments: Backend.all)
    func refund(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let purchase = try await start(fixture)
        _ = try await complete(fixture, purchase)
        try await fixture.spendCredits(3)
        try await fixture.hold("in-flight", timeoutSeconds: 3_600)
        let refund = try await fixture.store.refundPurchase(
            workspaceId: fixture.workspace, purchaseId: purchase.id, refundedMinor: 1_000, chargedMinor: 1_000)
        #expect(!refund.replayed && refund.takenBack == 6 && refund.alreadySpent == 4)
        #expect(refund.purchase.status == .refunded && refund.purchase.refundedMinor == 1_000)
        let balance = try await fixture.balance()
        #expect(balance.available == 0 && balance.held == 1)
        let again = try await fixture.store.refundPurchase(
            workspaceId: fixture.workspace, purchaseId: purchase.id, refundedMinor: 1_000, chargedMinor: 1_000)
        #expect(again.replayed && again.takenBack == 0 && again.purchase == refund.purchase)
        try await fixture.expectClean()
    }

    @Test("a partial refund takes back its share; a later full refund the rest", arguments: Backend.all)
    func partialRefund(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let purchase = try await start(fixture)
        _ = try await complete(fixture, purchase)
        let half = try await fixture.store.refundPurchase(
            workspaceId: fixture.workspace, purchaseId: purchase.id, refundedMinor: 550, chargedMinor: 1_000)
        #expect(half.takenBack == 5 && half.purchase.status == .partiallyRefunded)
        let rest = try await fixture.store.refundPurchase(
            workspaceId: fixture.workspace, purchaseId: purchase.id, refundedMinor: 1_000, chargedMinor: 1_000)
        #expect(rest.takenBack == 5 && rest.purchase.status == .refunded && rest.purchase.creditsTakenBack == 10)
        #expect(try await fixture.balance().available == 0)
        try await fixture.expectClean()
    }

    @Test("refunds before the payment, of unknown purchases or of bad amounts are refused", arguments: Backend.all)
    func refundRefusals(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let purchase = try await start(fixture)
        let store = fixture.store
        let workspace = fixture.workspace
        #expect(
            await fixture.refusal {
                try await store.refundPurchase(
                    workspaceId: workspace, purchaseId: purchase.id, refundedMinor: 1, chargedMinor: 1)
            } == .purchaseNotCompleted)
        #expect(
            await fixture.refusal {
                try await store.refundPurchase(
                    workspaceId: workspace, purchaseId: "pur_nope", refundedMinor: 1, chargedMinor: 1)
            } == .purchaseNotFound)
        _ = try await complete(fixture, purchase)
        #expect(
            await fixture.refusal {
                try await store.refundPurchase(
                    workspaceId: workspace, purchaseId: purchase.id, refundedMinor: 2, chargedMinor: 1)
            } == .invalidRequest)
        let other = try await fixture.another()
        #expect(
            await fixture.refusal {
                try await store.completePurchase(
                    workspaceId: other.workspace, purchaseId: purchase.id, paymentReference: nil)
            } == .purchaseNotFound)
        #expect(try await fixture.balance().available == 10)
    }

    @Test("the catalogue lists packages on sale; a retired one cannot be bought", arguments: Backend.all)
    func catalogue(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        #expect(try await fixture.store.putPackage(Data.small).created)
        var retired = Data.small
        retired.id = "old"
        retired.active = false
        _ = try await fixture.store.putPackage(retired)
        #expect(try await fixture.store.packages(includeInactive: false).map(\.id) == ["small"])
        #expect(try await fixture.store.packages(includeInactive: true).map(\.id) == ["old", "small"])
        #expect(try await fixture.store.package(id: "old") == retired)
        #expect(
            await fixture.refusal {
                try await fixture.store.createPurchase(
                    NewPurchase(
                        workspaceId: fixture.workspace, packageId: "old", provider: "builtin", idempotencyKey: "k"))
            } == .packageNotFound)
        var bad = Data.small
        bad.validityDays = 0
        #expect(await fixture.refusal { try await fixture.store.putPackage(bad) } == .invalidRequest)
    }

    @Test("a checkout is recorded once on a pending purchase", arguments: Backend.all)
    func checkout(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let purchase = try await start(fixture)
        let attached = try await fixture.store.attachCheckout(
            workspaceId: fixture.workspace, purchaseId: purchase.id, checkoutId: "cs_1", checkoutURL: "https://pay/1")
        #expect(attached.checkoutId == "cs_1" && attached.checkoutURL == "https://pay/1")
        let second = try await fixture.store.attachCheckout(
            workspaceId: fixture.workspace, purchaseId: purchase.id, checkoutId: "cs_2", checkoutURL: nil)
        #expect(second.checkoutId == "cs_1")
        #expect(try await fixture.store.purchase(workspaceId: fixture.workspace, id: purchase.id) == attached)
    }
}
