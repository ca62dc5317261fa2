import CreditsCore
import CreditsStore
import Foundation

/// Forwards plans, subscriptions, resets, packages and purchases to the PostgreSQL store.
extension RunningPostgresStore {
    func putPlan(_ plan: Plan) async throws -> PlanWrite { try await base.putPlan(plan) }
    func plan(id: PlanID) async throws -> Plan? { try await base.plan(id: id) }
    func plans() async throws -> [Plan] { try await base.plans() }
    func createSubscription(_ new: NewSubscription) async throws -> Subscription {
        try await base.createSubscription(new)
    }
    func subscription(workspaceId: WorkspaceID) async throws -> Subscription? {
        try await base.subscription(workspaceId: workspaceId)
    }
    func changePlan(workspaceId: WorkspaceID, to planId: PlanID, timing: PlanChangeTiming) async throws
        -> PlanChangeResult
    {
        try await base.changePlan(workspaceId: workspaceId, to: planId, timing: timing)
    }
    func setSubscriptionStatus(workspaceId: WorkspaceID, _ status: SubscriptionStatus) async throws -> Subscription {
        try await base.setSubscriptionStatus(workspaceId: workspaceId, status)
    }
    func resetCycle(workspaceId: WorkspaceID) async throws -> CycleResetReport {
        try await base.resetCycle(workspaceId: workspaceId)
    }
    func resetDueCycles(limit: Int) async throws -> [CycleResetReport] { try await base.resetDueCycles(limit: limit) }
    func nextCycleResetDue() async throws -> Date? { try await base.nextCycleResetDue() }
    func billingSummary(workspaceId: WorkspaceID) async throws -> BillingSummary {
        try await base.billingSummary(workspaceId: workspaceId)
    }

    func putPackage(_ package: CreditPackage) async throws -> PackageWrite { try await base.putPackage(package) }
    func package(id: PackageID) async throws -> CreditPackage? { try await base.package(id: id) }
    func packages(includeInactive: Bool) async throws -> [CreditPackage] {
        try await base.packages(includeInactive: includeInactive)
    }
    func createPurchase(_ new: NewPurchase) async throws -> PurchaseStart { try await base.createPurchase(new) }
    func attachCheckout(workspaceId: WorkspaceID, purchaseId: PurchaseID, checkoutId: String, checkoutURL: String?)
        async throws -> Purchase
    {
        try await base.attachCheckout(
            workspaceId: workspaceId, purchaseId: purchaseId, checkoutId: checkoutId, checkoutURL: checkoutURL)
    }
    func completePurchase(workspaceId: WorkspaceID, purchaseId: PurchaseID, paymentReference: String?) async throws
        -> PurchaseCompletion
    {
        try await base.completePurchase(
            workspaceId: workspaceId, purchaseId: purchaseId, paymentReference: paymentReference)
    }
    func refundPurchase(workspaceId: WorkspaceID, purchaseId: PurchaseID, refundedMinor: Int64, chargedMinor: Int64)
        async throws -> PurchaseRefund
    {
        try await base.refundPurchase(
            workspaceId: workspaceId, purchaseId: purchaseId, refundedMinor: refundedMinor, chargedMinor: chargedMinor)
    }
    func purchase(workspaceId: WorkspaceID, id: PurchaseID) async throws -> Purchase? {
        try await base.purchase(workspaceId: workspaceId, id: id)
    }
    func purchase(provider: String, paymentReference: String) async throws -> Purchase? {
        try await base.purchase(provider: provider, paymentReference: paymentReference)
    }
    func purchases(workspaceId: WorkspaceID, limit: Int) async throws -> [Purchase] {
        try await base.purchases(workspaceId: workspaceId, limit: limit)
    }
}
