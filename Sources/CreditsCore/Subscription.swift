import Foundation

public typealias PlanID = String

/// A plan a workspace subscribes to: a monthly credit allotment and a price (for display; payments are elsewhere).
public struct Plan: Hashable, Sendable, Codable {
    public var id: PlanID
    public var name: String
    /// Credits granted at every cycle start; unused ones expire at the next cycle start. Zero grants nothing.
    public var monthlyAllotment: Credits
    /// Price per cycle in the currency's minor unit (cents), never a floating-point amount.
    public var priceMinor: Int64
    /// ISO 4217 code, three upper-case letters ("USD").
    public var currency: String

    public init(id: PlanID, name: String, monthlyAllotment: Credits, priceMinor: Int64, currency: String) {
        self.id = id
        self.name = name
        self.monthlyAllotment = monthlyAllotment
        self.priceMinor = priceMinor
        self.currency = currency
    }

    /// Checks the plan's fields; every message is stable, so clients and tests can rely on it.
    public func validate() throws(LedgerRefusal) {
        try Limits.checkIdentifier(id, field: "plan id")
        guard !name.isEmpty, name.count <= Limits.planNameLengthMax else {
            throw .invalid("plan name must be 1 to \(Limits.planNameLengthMax) characters")
        }
        guard monthlyAllotment >= .zero, monthlyAllotment.count <= Limits.grantAmountMax else {
            throw .invalid("monthlyAllotment must be between 0 and \(Limits.grantAmountMax) credits")
        }
        guard (0...Limits.planPriceMinorMax).contains(priceMinor) else {
            throw .invalid("priceMinor must be between 0 and \(Limits.planPriceMinorMax)")
        }
        guard currency.utf8.count == 3, currency.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
            throw .invalid("currency must be a three-letter ISO 4217 code in upper case")
        }
    }
}

/// Where a subscription stands with its payments. See docs/cycles.md for what each status does at a reset.
public enum SubscriptionStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// Paid up: every cycle start grants the plan's allotment.
    case active
    /// A payment failed: the old allotment still expires, the new one waits until the subscription is active
    /// again within the same cycle.
    case pastDue = "past_due"
    /// Ended: allotments expire and none are granted; purchased credits stay.
    case cancelled
}

/// A workspace's subscription to a plan, with its billing-cycle anchor and the last cycle it was reset for.
public struct Subscription: Hashable, Sendable, Codable {
    public var workspaceId: WorkspaceID
    public var planId: PlanID
    public var status: SubscriptionStatus
    /// When the subscription was created.
    public var startedAt: Date
    /// The instant cycle 0 starts (normally `startedAt`); its day of month and wall-clock time fix every cycle.
    public var anchor: Date
    /// IANA time zone in which the anchor's day and time are read (the workspace's).
    public var timeZone: String
    /// A plan change waiting for a cycle start; nil when none.
    public var pendingPlanId: PlanID?
    /// The cycle at whose start `pendingPlanId` takes effect: the one after the change was asked for.
    public var pendingPlanCycle: Int?
    /// The last cycle whose allotment was granted; nil before the first reset. The exactly-once guard.
    public var lastResetCycle: Int?

    public init(
        workspaceId: WorkspaceID, planId: PlanID, status: SubscriptionStatus = .active, startedAt: Date,
        anchor: Date? = nil, timeZone: String, pendingPlanId: PlanID? = nil, pendingPlanCycle: Int? = nil,
        lastResetCycle: Int? = nil
    ) {
        self.workspaceId = workspaceId
        self.planId = planId
        self.status = status
        self.startedAt = startedAt
        self.anchor = anchor ?? startedAt
        self.timeZone = timeZone
        self.pendingPlanId = pendingPlanId
        self.pendingPlanCycle = pendingPlanCycle
        self.lastResetCycle = lastResetCycle
    }

    /// Checks the fields and returns the subscription's cycle calendar. Every message is stable.
    @discardableResult
    public func validate() throws(LedgerRefusal) -> CycleCalendar {
        try Limits.checkIdentifier(workspaceId, field: "workspaceId")
        try Limits.checkIdentifier(planId, field: "planId")
        guard anchor >= startedAt.wholeMilliseconds else { throw .invalid("anchor must not be before startedAt") }
        if let pendingPlanId {
            try Limits.checkIdentifier(pendingPlanId, field: "pendingPlanId")
            guard pendingPlanId != planId else { throw .invalid("pendingPlanId must differ from planId") }
        }
        guard (pendingPlanId == nil) == (pendingPlanCycle == nil) else {
            throw .invalid("pendingPlanId and pendingPlanCycle must be set together")
        }
        if let pendingPlanCycle, pendingPlanCycle < 1 {
            throw .invalid("pendingPlanCycle must be at least 1")
        }
        if let lastResetCycle, lastResetCycle < 0 {
            throw .invalid("lastResetCycle must not be negative")
        }
        return try CycleCalendar(anchor: anchor, timeZoneIdentifier: timeZone)
    }

    /// The subscription with a plan change scheduled for the start of the cycle after the one containing `now`.
    /// Asking for the current plan cancels a pending change.
    public func schedulingPlanChange(to plan: PlanID, now: Date) throws(LedgerRefusal) -> Subscription {
        let calendar = try validate()
        try Limits.checkIdentifier(plan, field: "planId")
        guard status != .cancelled else { throw .invalid("a cancelled subscription cannot change plan") }
        var changed = self
        if plan == planId {
            changed.pendingPlanId = nil
            changed.pendingPlanCycle = nil
        } else {
            changed.pendingPlanId = plan
            changed.pendingPlanCycle = max(calendar.cycle(containing: now).index, 0) + 1
        }
        return changed
    }
}
