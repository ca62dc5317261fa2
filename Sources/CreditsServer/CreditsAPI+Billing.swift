import CreditsCore
import CreditsStore
import Foundation
import Hummingbird

/// Plans and subscriptions (operator) and the billing page's figures (workspace).
extension CreditsAPI {
    /// `PUT /v1/plans/{planId}`: creates (201) or replaces (200) a plan.
    func putPlan(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let planId = try parameter("planId", context)
        let body = try await decodeBody(PlanBody.self, from: request)
        let plan = Plan(
            id: planId, name: body.name, monthlyAllotment: body.monthlyAllotment, priceMinor: body.priceMinor,
            currency: body.currency)
        let written = try await store.putPlan(plan)
        context.logger.info("plan written", metadata: ["plan": "\(plan.id)", "created": "\(written.created)"])
        return try JSONResponse.make(written.plan, status: written.created ? .created : .ok)
    }

    /// `GET /v1/plans`: every plan.
    func listPlans(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        try JSONResponse.make(PlanList(plans: try await store.plans()))
    }

    /// `POST /v1/workspaces/{workspaceId}/subscription`: subscribes the workspace and runs its first reset when the
    /// anchor has come (the first cycle's allotment arrives with the answer).
    func createSubscription(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let workspaceId = try parameter("workspaceId", context)
        let body = try await decodeBody(CreateSubscriptionBody.self, from: request)
        let subscription = try await store.createSubscription(
            NewSubscription(
                workspaceId: workspaceId, planId: body.planId, startedAt: body.startedAt, anchor: body.anchor))
        try await recordAudit(
            workspaceId, actor: AuditEvent.operatorActor, .subscriptionCreated, subject: "subscription", before: nil,
            after: ["planId": .text(subscription.planId), "status": .text(subscription.status.rawValue)])
        let report = try await resetNow(workspaceId)
        context.logger.info(
            "subscription created", metadata: ["workspace": "\(workspaceId)", "plan": "\(body.planId)"])
        return try JSONResponse.make(try await subscriptionView(workspaceId, reset: report), status: .created)
    }

    /// `GET /v1/workspaces/{workspaceId}/subscription`.
    func getSubscription(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let workspaceId = try parameter("workspaceId", context)
        return try JSONResponse.make(try await subscriptionView(workspaceId))
    }

    /// `POST /v1/workspaces/{workspaceId}/subscription/plan` `{planId, effective}`: at the next cycle start (default),
    /// or now (the current allotment is raised to the new plan's, never lowered). Repeating it changes nothing more.
    func changePlan(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let workspaceId = try parameter("workspaceId", context)
        let body = try await decodeBody(ChangePlanBody.self, from: request)
        guard let timing = PlanChangeTiming(rawValue: body.effective ?? PlanChangeTiming.nextCycle.rawValue) else {
            throw LedgerRefusal.invalid("effective must be one of next_cycle, now")
        }
        let before = try await store.subscription(workspaceId: workspaceId)
        let result = try await store.changePlan(workspaceId: workspaceId, to: body.planId, timing: timing)
        try await recordAudit(
            workspaceId, actor: AuditEvent.operatorActor, .planChanged, subject: "subscription",
            before: ["planId": before.map { .text($0.planId) } ?? .null],
            after: [
                "planId": .text(result.subscription.planId),
                "pendingPlanId": result.subscription.pendingPlanId.map {
                    .text($0)
                } ?? .null, "effective": .text(timing.rawValue),
            ])
        context.logger.info(
            "plan changed",
            metadata: ["workspace": "\(workspaceId)", "plan": "\(body.planId)", "effective": "\(timing.rawValue)"])
        var view = try await subscriptionView(workspaceId)
        view.lot = result.lot
        return try JSONResponse.make(view)
    }

    /// `POST /v1/workspaces/{workspaceId}/subscription/status` `{status}`: active, past_due or cancelled. A
    /// subscription made active again gets the current cycle's allotment at once, if that cycle had none.
    func setSubscriptionStatus(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let workspaceId = try parameter("workspaceId", context)
        let body = try await decodeBody(SubscriptionStatusBody.self, from: request)
        guard let status = SubscriptionStatus(rawValue: body.status) else {
            throw LedgerRefusal.invalid("status must be one of active, past_due, cancelled")
        }
        let before = try await store.subscription(workspaceId: workspaceId)
        let changed = try await store.setSubscriptionStatus(workspaceId: workspaceId, status)
        try await recordAudit(
            workspaceId, actor: AuditEvent.operatorActor, .subscriptionStatusChanged, subject: "subscription",
            before: ["status": before.map { .text($0.status.rawValue) } ?? .null],
            after: ["status": .text(changed.status.rawValue)])
        let report = try await resetNow(workspaceId)
        context.logger.info("subscription status", metadata: ["workspace": "\(workspaceId)", "status": "\(status)"])
        return try JSONResponse.make(try await subscriptionView(workspaceId, reset: report))
    }

    /// `GET /v1/workspaces/{workspaceId}/billing`: the billing page's figures, for the operator.
    func workspaceBilling(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let workspaceId = try parameter("workspaceId", context)
        return try JSONResponse.make(try await store.billingSummary(workspaceId: workspaceId))
    }

    /// `GET /v1/billing`: available, held, the current cycle's allotment (granted, used, held, left), purchased
    /// credits with their expiry, and the next reset.
    func billing(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        try JSONResponse.make(try await store.billingSummary(workspaceId: key.workspaceId))
    }

    // MARK: Helpers

    /// Runs the workspace's reset now (it is idempotent; a reset enqueues its `cycle.reset` event itself).
    private func resetNow(_ workspaceId: WorkspaceID) async throws -> CycleResetReport {
        try await store.resetCycle(workspaceId: workspaceId)
    }

    private func subscriptionView(_ workspaceId: WorkspaceID, reset: CycleResetReport? = nil) async throws
        -> SubscriptionView
    {
        guard let subscription = try await store.subscription(workspaceId: workspaceId) else {
            guard try await store.workspace(id: workspaceId) != nil else {
                throw LedgerRefusal(.workspaceNotFound, "no workspace \(workspaceId)")
            }
            throw LedgerRefusal(.subscriptionNotFound, "the workspace has no subscription")
        }
        let cycle = try subscription.validate().cycle(containing: clock.now())
        return SubscriptionView(
            subscription: subscription, currentCycle: cycle.index >= 0 ? cycle : nil,
            nextResetAt: subscription.status == .cancelled ? nil : cycle.end, reset: reset)
    }
}
