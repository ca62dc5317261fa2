import CreditsCore
import Foundation
import Testing

/// The monthly reset rule, plans and subscriptions, without any store.
@Suite("Cycle reset")
struct CycleResetTests {
    let ids = SequentialIDs()
    let pool = Wallet(id: "wal_pool", workspaceId: "ws_1", kind: .pool, createdAt: Date(timeIntervalSince1970: 0))
    let basic = Plan(id: "basic", name: "Basic", monthlyAllotment: 100, priceMinor: 4_900, currency: "USD")
    let pro = Plan(id: "pro", name: "Pro", monthlyAllotment: 500, priceMinor: 19_900, currency: "USD")
    /// Cycles start on the 15th at 12:00 in New York.
    let anchor = ISO8601DateFormatter().date(from: "2026-01-15T12:00:00-05:00")!

    func subscription(lastReset: Int? = nil, status: SubscriptionStatus = .active) -> Subscription {
        Subscription(
            workspaceId: "ws_1", planId: "basic", status: status, startedAt: anchor, timeZone: "America/New_York",
            lastResetCycle: lastReset)
    }

    var cycles: CycleCalendar { try! subscription().validate() }

    /// A plan-allotment lot as the reset of cycle `index` granted it, with `remaining` left.
    func allotment(cycle index: Int, remaining: Credits) -> Lot {
        let cycle = cycles.cycle(index: index)
        return Lot(
            id: "lot_c\(index)", workspaceId: "ws_1", walletId: "wal_pool", source: .planAllotment, amount: 100,
            remaining: remaining, held: .zero, effectiveAt: cycle.start, expiresAt: cycle.end, createdAt: cycle.start,
            reference: CycleReset.key(workspaceId: "ws_1", cycle: index))
    }

    func decide(_ subscription: Subscription, lots: [Lot] = [], pending: Plan? = nil, at now: Date) throws
        -> CycleResetDecision
    {
        let plan = subscription.planId == pro.id ? pro : basic
        return try CycleReset.decide(
            subscription, plan: plan, pendingPlan: pending, wallet: pool, lots: lots, now: now, ids: ids)
    }

    /// The lots after a decision's change is written.
    func applying(_ change: LedgerChange, to lots: [Lot]) -> [Lot] {
        let updated = Dictionary(change.updatedLots.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        return lots.map { updated[$0.id] ?? $0 } + change.insertedLots
    }

    @Test("the first reset grants cycle 0's allotment, effective at the anchor and expiring at the next start")
    func firstReset() throws {
        let decision = try decide(subscription(), at: anchor.addingTimeInterval(60))
        #expect(decision.outcome == .reset)
        let lot = try #require(decision.grantResult?.lot)
        #expect(lot.amount == 100 && lot.source == .planAllotment)
        #expect(lot.effectiveAt == anchor && lot.expiresAt == cycles.start(ofCycle: 1))
        #expect(lot.reference == "cycle:ws_1:0" && decision.grant?.idempotencyKey == "cycle:ws_1:0")
        #expect(decision.subscription.lastResetCycle == 0)
    }

    @Test("after three missed cycles, one reset expires the old allotment and grants only the current cycle")
    func catchUpAfterDowntime() throws {
        let purchase = Lot(
            id: "lot_buy", workspaceId: "ws_1", walletId: "wal_pool", source: .purchase, amount: 50, remaining: 50,
            held: .zero, effectiveAt: anchor, expiresAt: nil, createdAt: anchor)
        let lots = [allotment(cycle: 0, remaining: 40), purchase]
        let now = cycles.start(ofCycle: 3).addingTimeInterval(5 * 86_400)
        let decision = try decide(subscription(lastReset: 0), lots: lots, at: now)
        #expect(decision.outcome == .reset && decision.cycle.index == 3)
        #expect(decision.change.entries.map(\.kind) == [.expiry, .grant])
        #expect(decision.change.entries.map(\.amount) == [40, 100])
        #expect(decision.change.updatedLots.map(\.id) == ["lot_c0"])
        #expect(decision.change.insertedLots.map(\.reference) == ["cycle:ws_1:3"])
        #expect(decision.change.insertedLots.first?.effectiveAt == cycles.start(ofCycle: 3))
        #expect(decision.change.insertedLots.first?.expiresAt == cycles.start(ofCycle: 4))
        #expect(decision.subscription.lastResetCycle == 3)
        let balance = Balance(walletId: "wal_pool", lots: applying(decision.change, to: lots), now: now)
        #expect(balance.available == 150)
    }

    @Test("a second reset in the same cycle does nothing")
    func resetTwiceInOneCycle() throws {
        let lots = [allotment(cycle: 0, remaining: 40)]
        let now = cycles.start(ofCycle: 1).addingTimeInterval(60)
        let first = try decide(subscription(lastReset: 0), lots: lots, at: now)
        let second = try decide(
            first.subscription, lots: applying(first.change, to: lots), at: now.addingTimeInterval(3_600))
        #expect(first.outcome == .reset && !first.isEmpty)
        #expect(second.outcome == .alreadyReset)
        #expect(second.isEmpty && second.grant == nil && second.subscription == first.subscription)
    }

    @Test("a reset for a cycle before the last one reset (a clock jumped back) does nothing")
    func clockJumpedBack() throws {
        let decision = try decide(subscription(lastReset: 2), at: cycles.start(ofCycle: 1))
        #expect(decision.outcome == .alreadyReset && decision.isEmpty)
    }

    @Test("before the anchor no cycle has started and nothing happens")
    func beforeAnchor() throws {
        let decision = try decide(subscription(), at: anchor.addingTimeInterval(-1))
        #expect(decision.outcome == .notStarted && decision.isEmpty)
    }

    @Test("a plan change takes effect at the next cycle start, not before")
    func pendingPlanAtNextCycle() throws {
        let midCycle = cycles.start(ofCycle: 0).addingTimeInterval(10 * 86_400)
        let changed = try subscription(lastReset: 0).schedulingPlanChange(to: "pro", now: midCycle)
        #expect(changed.pendingPlanId == "pro" && changed.pendingPlanCycle == 1)
        let sameCycle = try decide(changed, pending: pro, at: midCycle.addingTimeInterval(86_400))
        #expect(sameCycle.outcome == .alreadyReset && sameCycle.subscription.planId == "basic")
        let nextCycle = try decide(changed, pending: pro, at: cycles.start(ofCycle: 1))
        #expect(nextCycle.subscription.planId == "pro" && nextCycle.subscription.pendingPlanId == nil)
        #expect(nextCycle.grantResult?.lot?.amount == 500)
        #expect(nextCycle.grant?.reason == "plan allotment: pro, cycle 1")
    }

    @Test("a plan change asked for before the cycle's first reset waits for the next cycle")
    func pendingPlanNotEarly() throws {
        let changed = try subscription().schedulingPlanChange(to: "pro", now: anchor)
        let decision = try decide(changed, pending: pro, at: anchor.addingTimeInterval(60))
        #expect(decision.grantResult?.lot?.amount == 100)
        #expect(decision.subscription.planId == "basic" && decision.subscription.pendingPlanCycle == 1)
    }

    @Test("past due: the old allotment expires, the new one waits, and comes once active again in the cycle")
    func pastDueWithholdsThenGrants() throws {
        let lots = [allotment(cycle: 0, remaining: 30)]
        let now = cycles.start(ofCycle: 1).addingTimeInterval(60)
        let withheld = try decide(subscription(lastReset: 0, status: .pastDue), lots: lots, at: now)
        #expect(withheld.outcome == .withheldPastDue && withheld.grant == nil)
        #expect(withheld.change.entries.map(\.kind) == [.expiry])
        #expect(withheld.subscription.lastResetCycle == 0)
        var recovered = withheld.subscription
        recovered.status = .active
        let later = now.addingTimeInterval(2 * 86_400)
        let granted = try decide(recovered, lots: applying(withheld.change, to: lots), at: later)
        #expect(granted.outcome == .reset && granted.change.entries.map(\.kind) == [.grant])
        #expect(granted.grantResult?.lot?.effectiveAt == cycles.start(ofCycle: 1))
    }

    @Test("cancelled: the old allotment expires and nothing is granted")
    func cancelledGrantsNothing() throws {
        let decision = try decide(
            subscription(lastReset: 0, status: .cancelled), lots: [allotment(cycle: 0, remaining: 30)],
            at: cycles.start(ofCycle: 1))
        #expect(decision.outcome == .cancelled && decision.grant == nil)
        #expect(decision.change.entries.map(\.kind) == [.expiry])
        #expect(decision.subscription.lastResetCycle == 0)
    }

    @Test("a plan with a zero allotment marks the cycle reset without a grant")
    func zeroAllotment() throws {
        let free = Plan(id: "free", name: "Free", monthlyAllotment: 0, priceMinor: 0, currency: "USD")
        var subscription = subscription()
        subscription.planId = "free"
        let decision = try CycleReset.decide(
            subscription, plan: free, pendingPlan: nil, wallet: pool, lots: [], now: anchor, ids: ids)
        #expect(decision.outcome == .reset && decision.grant == nil && decision.subscription.lastResetCycle == 0)
    }

    @Test("a plan with a bad currency, negative allotment or negative price is refused with a stable message")
    func planValidation() {
        var plan = basic
        plan.currency = "usd"
        #expect(throws: LedgerRefusal.invalid("currency must be a three-letter ISO 4217 code in upper case")) {
            try plan.validate()
        }
        plan = basic
        plan.monthlyAllotment = -1
        #expect(throws: LedgerRefusal.invalid("monthlyAllotment must be between 0 and 100000000 credits")) {
            try plan.validate()
        }
        plan = basic
        plan.priceMinor = -1
        #expect(throws: LedgerRefusal.invalid("priceMinor must be between 0 and 1000000000")) {
            try plan.validate()
        }
    }

    @Test("a subscription with an unknown time zone, an anchor before its start or a half-set plan change is refused")
    func subscriptionValidation() {
        var bad = subscription()
        bad.timeZone = "Mars/Olympus"
        #expect(throws: LedgerRefusal.invalid("unknown time zone Mars/Olympus")) { try bad.validate() }
        bad = subscription()
        bad.anchor = anchor.addingTimeInterval(-1)
        #expect(throws: LedgerRefusal.invalid("anchor must not be before startedAt")) { try bad.validate() }
        bad = subscription()
        bad.pendingPlanId = "pro"
        #expect(throws: LedgerRefusal.invalid("pendingPlanId and pendingPlanCycle must be set together")) {
            try bad.validate()
        }
    }
}
