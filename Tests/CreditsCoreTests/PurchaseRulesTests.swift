import CreditsCore
import Foundation
import Testing

/// Buying credits, refunds and the billing summary, without any store.
@Suite("Purchase rules")
struct PurchaseRulesTests {
    let ids = SequentialIDs()
    let now = Date(timeIntervalSince1970: 1_767_225_600)
    let pool = Wallet(id: "wal_pool", workspaceId: "ws_1", kind: .pool, createdAt: Date(timeIntervalSince1970: 0))
    let package = CreditPackage(id: "small", name: "Small", credits: 10, priceMinor: 1_000, currency: "USD")

    func purchase(_ package: CreditPackage? = nil) -> Purchase {
        Purchase(
            id: "pur_1", workspaceId: "ws_1", walletId: "wal_pool", package: package ?? self.package,
            provider: "builtin", createdAt: now)
    }

    @Test("purchased credits live at least to the end of the billing period; no validity means no expiry")
    func lotExpiry() {
        let periodEnd = now.addingTimeInterval(20 * 86_400)
        #expect(Purchases.lotExpiry(confirmedAt: now, validityDays: nil, billingPeriodEnd: periodEnd) == nil)
        #expect(Purchases.lotExpiry(confirmedAt: now, validityDays: 7, billingPeriodEnd: periodEnd) == periodEnd)
        #expect(
            Purchases.lotExpiry(confirmedAt: now, validityDays: 30, billingPeriodEnd: periodEnd)
                == now.addingTimeInterval(30 * 86_400))
        #expect(
            Purchases.lotExpiry(confirmedAt: now, validityDays: 7, billingPeriodEnd: nil)
                == now.addingTimeInterval(7 * 86_400))
    }

    @Test("confirming a pending purchase adds its lot under the purchase's key; a completed one replays")
    func complete() throws {
        let decision = try Purchases.complete(
            purchase(), wallet: pool, existingLot: nil, paymentReference: "pi_1", billingPeriodEnd: nil, now: now,
            ids: ids)
        #expect(decision.grant?.idempotencyKey == "purchase:pur_1" && decision.result.lot?.reference == "pur_1")
        #expect(decision.purchase.status == .completed && decision.purchase.paymentReference == "pi_1")
        let again = try Purchases.complete(
            decision.purchase, wallet: pool, existingLot: decision.result.lot, paymentReference: "pi_2",
            billingPeriodEnd: nil, now: now, ids: ids)
        #expect(again.result.replayed && again.change.isEmpty && again.purchase.paymentReference == "pi_1")
    }

    @Test("a refund's share is rounded down and computed without overflow")
    func refundShare() throws {
        var big = package
        big.credits = Credits(Limits.grantAmountMax)
        big.priceMinor = Limits.planPriceMinorMax
        let completed = try Purchases.complete(
            purchase(big), wallet: pool, existingLot: nil, paymentReference: nil, billingPeriodEnd: nil, now: now,
            ids: ids)
        let refund = try Purchases.refund(
            completed.purchase, lot: completed.result.lot, refundedMinor: Limits.planPriceMinorMax / 3,
            chargedMinor: Limits.planPriceMinorMax, now: now, ids: ids)
        #expect(refund.result.takenBack == Credits(Limits.grantAmountMax / 3))
        #expect(refund.purchase.status == .partiallyRefunded)
    }

    @Test("a smaller cumulative refund than the one recorded is a replay")
    func refundReplay() throws {
        let completed = try Purchases.complete(
            purchase(), wallet: pool, existingLot: nil, paymentReference: nil, billingPeriodEnd: nil, now: now,
            ids: ids)
        let half = try Purchases.refund(
            completed.purchase, lot: completed.result.lot, refundedMinor: 500, chargedMinor: 1_000, now: now, ids: ids)
        let lot = half.change.updatedLots.first
        let older = try Purchases.refund(
            half.purchase, lot: lot, refundedMinor: 400, chargedMinor: 1_000, now: now, ids: ids)
        #expect(older.result.replayed && older.change.isEmpty)
    }

    @Test("the billing summary splits the cycle's allotment into used, held and left")
    func summary() throws {
        let subscription = Subscription(workspaceId: "ws_1", planId: "basic", startedAt: now, timeZone: "UTC")
        let plan = Plan(id: "basic", name: "Basic", monthlyAllotment: 100, priceMinor: 0, currency: "USD")
        let cycle = try subscription.validate().cycle(index: 0)
        let allotment = Lot(
            id: "lot_a", workspaceId: "ws_1", walletId: "wal_pool", source: .planAllotment, amount: 100, remaining: 60,
            held: 5, effectiveAt: cycle.start, expiresAt: cycle.end, createdAt: now,
            reference: CycleReset.key(workspaceId: "ws_1", cycle: 0))
        let bought = Lot(
            id: "lot_b", workspaceId: "ws_1", walletId: "wal_pool", source: .purchase, amount: 10, remaining: 10,
            held: 0, effectiveAt: now, expiresAt: nil, createdAt: now, reference: "pur_1")
        let summary = try BillingSummary(
            wallet: pool, subscription: subscription, plan: plan, pendingPlan: nil, lots: [bought, allotment],
            now: now.addingTimeInterval(3_600))
        #expect(summary.available == 70 && summary.held == 5)
        #expect(summary.allotment?.granted == 100 && summary.allotment?.used == 35)
        #expect(summary.allotment?.held == 5 && summary.allotment?.left == 60)
        #expect(summary.purchasedLeft == 10 && summary.purchased.map(\.reference) == ["pur_1"])
        #expect(summary.nextResetAt == cycle.end)
    }
}
