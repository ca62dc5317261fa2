import Foundation

/// A workspace's credits as the billing page shows them: the pool's balance, the current cycle's allotment
/// (granted, used, left), purchased credits with their expiry, and the next reset. Derived from the pool's lots.
public struct BillingSummary: Hashable, Sendable, Codable {
    /// The subscription as the page shows it.
    public struct SubscriptionLine: Hashable, Sendable, Codable {
        public var planId: PlanID
        public var planName: String
        public var monthlyAllotment: Credits
        public var status: SubscriptionStatus
        public var pendingPlanId: PlanID?
        /// When the pending plan takes effect (the start of its cycle).
        public var pendingPlanFrom: Date?
    }

    /// The allotment of the cycle that contains `asOf`.
    public struct Allotment: Hashable, Sendable, Codable {
        public var cycleIndex: Int
        public var cycleStart: Date
        public var cycleEnd: Date
        /// Granted for this cycle (the reset's grant and any plan-change top-up).
        public var granted: Credits
        /// Spent: captured calls and operator debits. granted = used + held + left.
        public var used: Credits
        /// Reserved by calls in flight.
        public var held: Credits
        /// Still spendable until `cycleEnd`.
        public var left: Credits
    }

    /// One lot of purchased credits with something left (or held).
    public struct PurchasedLot: Hashable, Sendable, Codable {
        public var lotId: LotID
        /// The lot's reference: the purchase id for a purchase made through the API.
        public var reference: String?
        public var amount: Credits
        public var remaining: Credits
        public var held: Credits
        public var effectiveAt: Date
        /// nil: never expires.
        public var expiresAt: Date?
    }

    public var walletId: WalletID
    public var available: Credits
    public var held: Credits
    public var subscription: SubscriptionLine?
    /// nil without a subscription or before its first cycle.
    public var allotment: Allotment?
    /// Purchased lots in spending order.
    public var purchased: [PurchasedLot]
    /// Unexpired purchased credits not held.
    public var purchasedLeft: Credits
    /// The next cycle start, when the allotment resets; nil without a subscription or once it is cancelled.
    public var nextResetAt: Date?
    public var asOf: Date

    /// The summary of `wallet` (the pool) at `now`. `lots` are its lots with remaining or held credit plus the current
    /// cycle's allotment lots (even spent ones); `plan` and `pendingPlan` belong to `subscription`.
    public init(
        wallet: Wallet, subscription: Subscription?, plan: Plan?, pendingPlan: Plan?, lots: [Lot], now: Date
    ) throws(LedgerRefusal) {
        let own = lots.filter { $0.walletId == wallet.id }
        let balance = Balance(walletId: wallet.id, lots: own, now: now)
        walletId = wallet.id
        available = balance.available
        held = balance.held
        asOf = now
        let purchasedLots = own.filter {
            $0.source == .purchase && (($0.remaining > .zero && !$0.isExpired(at: now)) || $0.held > .zero)
        }
        purchased = purchasedLots.sorted(by: Ledger.spendsBefore).map {
            PurchasedLot(
                lotId: $0.id, reference: $0.reference, amount: $0.amount, remaining: $0.remaining, held: $0.held,
                effectiveAt: $0.effectiveAt, expiresAt: $0.expiresAt)
        }
        purchasedLeft = purchasedLots.filter { !$0.isExpired(at: now) }.sum(\.remaining)
        guard let subscription, let plan else {
            self.subscription = nil
            allotment = nil
            nextResetAt = nil
            return
        }
        let calendar = try subscription.validate()
        let cycle = calendar.cycle(containing: now)
        self.subscription = SubscriptionLine(
            planId: plan.id, planName: plan.name, monthlyAllotment: plan.monthlyAllotment, status: subscription.status,
            pendingPlanId: pendingPlan?.id,
            pendingPlanFrom: subscription.pendingPlanCycle.map { calendar.start(ofCycle: $0) })
        nextResetAt = subscription.status == .cancelled ? nil : cycle.end
        guard cycle.index >= 0 else {
            allotment = nil
            return
        }
        let cycleLots = own.filter {
            CycleReset.isAllotment($0, workspaceId: subscription.workspaceId, cycle: cycle.index)
        }
        let granted = cycleLots.sum(\.amount)
        let left = cycleLots.filter { !$0.isExpired(at: now) }.sum(\.remaining)
        let heldNow = cycleLots.sum(\.held)
        allotment = Allotment(
            cycleIndex: cycle.index, cycleStart: cycle.start, cycleEnd: cycle.end, granted: granted,
            used: granted - left - heldNow, held: heldNow, left: left)
    }
}
