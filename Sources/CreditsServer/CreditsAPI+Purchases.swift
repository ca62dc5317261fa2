import CreditsCore
import CreditsStore
import Foundation
import Hummingbird

/// The package catalogue (operator writes, workspaces read), purchases (workspace) and refunds (operator).
extension CreditsAPI {
    /// `PUT /v1/packages/{packageId}`: creates (201) or replaces (200) a package; `active: false` retires it.
    func putPackage(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let packageId = try parameter("packageId", context)
        let body = try await decodeBody(PackageBody.self, from: request)
        let package = CreditPackage(
            id: packageId, name: body.name, credits: body.credits, priceMinor: body.priceMinor,
            currency: body.currency, validityDays: body.validityDays, active: body.active ?? true)
        let written = try await store.putPackage(package)
        context.logger.info("package written", metadata: ["package": "\(package.id)", "created": "\(written.created)"])
        return try JSONResponse.make(written.package, status: written.created ? .created : .ok)
    }

    /// `GET /v1/packages`: the packages on sale.
    func listPackages(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        try JSONResponse.make(PackageList(packages: try await store.packages(includeInactive: false)))
    }

    /// `POST /v1/purchases` `{packageId}` with an `Idempotency-Key`: buys a package for the pool. The built-in
    /// provider confirms at once (201 with the lot); Stripe answers 201 with the purchase pending and its
    /// `checkoutURL`, and confirms through the webhook. A repeat answers 200 with the purchase as it is now.
    func createPurchase(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        guard let idempotencyKey = request.headers[.idempotencyKey], !idempotencyKey.isEmpty else {
            throw LedgerRefusal.invalid("the Idempotency-Key header is required")
        }
        let body = try await decodeBody(PurchaseBody.self, from: request)
        let (view, replayed) = try await purchase(
            by: key, packageId: body.packageId, idempotencyKey: idempotencyKey, context: context)
        let headers: HTTPFields = replayed ? [.idempotentReplayed: "true"] : [:]
        return try JSONResponse.make(view, status: replayed ? .ok : .created, headers: headers)
    }

    /// Buys a package for the workspace's pool through the configured provider (the API's `POST /v1/purchases` and
    /// the portal's Buy Credits): a repeat of the idempotency key answers the purchase as it is now (`replayed`).
    func purchase(
        by key: Principal, packageId: PackageID, idempotencyKey: String, context: CreditsRequestContext
    ) async throws -> (view: PurchaseView, replayed: Bool) {
        let workspaceId = key.workspaceId
        let started = try await store.createPurchase(
            NewPurchase(
                workspaceId: workspaceId, packageId: packageId, provider: payments.name,
                idempotencyKey: idempotencyKey))
        if !started.replayed {
            try await recordAudit(
                key.workspaceId, actor: key.personId, .purchaseCreated, subject: started.purchase.id, before: nil,
                after: [
                    "packageId": .text(started.purchase.packageId), "credits": .credits(started.purchase.credits),
                    "status": .text(started.purchase.status.rawValue),
                ])
        }
        var view = PurchaseView(purchase: started.purchase, lot: nil)
        if started.purchase.status == .pending, started.purchase.checkoutId == nil {
            view = try await checkout(started.purchase, context: context)
        } else if started.purchase.status != .pending {
            // Paid already: the confirmation's replay names the lot (and changes nothing).
            view.lot = try await store.completePurchase(
                workspaceId: workspaceId, purchaseId: started.purchase.id, paymentReference: nil
            ).lot
        }
        return (view, started.replayed)
    }

    /// `GET /v1/purchases?limit=`: the workspace's purchases, newest first.
    func listPurchases(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        var limit = Limits.pageSizeDefault
        if let text = request.uri.queryParameters.get("limit") {
            guard let value = Int(text) else { throw APIError.badRequest("limit must be an integer") }
            limit = value
        }
        return try JSONResponse.make(
            PurchaseList(purchases: try await store.purchases(workspaceId: key.workspaceId, limit: limit)))
    }

    /// `GET /v1/purchases/{purchaseId}`.
    func getPurchase(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let purchaseId = try parameter("purchaseId", context)
        try Limits.checkIdentifier(purchaseId, field: "purchaseId")
        guard let purchase = try await store.purchase(workspaceId: key.workspaceId, id: purchaseId) else {
            throw LedgerRefusal(.purchaseNotFound, "no purchase \(purchaseId) in this workspace")
        }
        return try JSONResponse.make(purchase)
    }

    /// `POST /v1/workspaces/{workspaceId}/purchases/{purchaseId}/refund` `{amountMinor?}`: records a refund made
    /// outside the service (the built-in provider, or a correction; Stripe's refunds arrive by its webhook) and takes
    /// back the unused share of the credits. `amountMinor` is cumulative; default the whole price.
    func refundPurchase(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let workspaceId = try parameter("workspaceId", context)
        let purchaseId = try parameter("purchaseId", context)
        let body = try await decodeOptionalBody(RefundBody.self, from: request)
        try Limits.checkIdentifier(purchaseId, field: "purchaseId")
        guard let purchase = try await store.purchase(workspaceId: workspaceId, id: purchaseId) else {
            guard try await store.workspace(id: workspaceId) != nil else {
                throw LedgerRefusal(.workspaceNotFound, "no workspace \(workspaceId)")
            }
            throw LedgerRefusal(.purchaseNotFound, "no purchase \(purchaseId) in this workspace")
        }
        // A free package has no money to refund: its refund is "all of it" (1 of 1).
        let charged = purchase.priceMinor > 0 ? purchase.priceMinor : 1
        let refund = try await store.refundPurchase(
            workspaceId: workspaceId, purchaseId: purchaseId, refundedMinor: body?.amountMinor ?? charged,
            chargedMinor: charged)
        if !refund.replayed {
            try await recordAudit(
                workspaceId, actor: AuditEvent.operatorActor, .purchaseRefunded, subject: purchaseId,
                before: ["status": .text(purchase.status.rawValue)],
                after: [
                    "refundedMinor": .number(body?.amountMinor ?? charged), "takenBack": .credits(refund.takenBack),
                    "alreadySpent": .credits(refund.alreadySpent),
                ])
            context.logger.info(
                "purchase refunded",
                metadata: [
                    "purchase": "\(purchaseId)", "takenBack": "\(refund.takenBack)",
                    "alreadySpent": "\(refund.alreadySpent)",
                ])
        }
        return try JSONResponse.make(refund)
    }

    // MARK: Helpers

    /// Starts the provider's checkout for a pending purchase: the built-in provider's confirmation completes it
    /// at once; Stripe's session is recorded on it.
    private func checkout(_ purchase: Purchase, context: CreditsRequestContext) async throws -> PurchaseView {
        let productName = try await store.package(id: purchase.packageId)?.name ?? purchase.packageId
        let checkout: Checkout
        do {
            checkout = try await payments.checkout(purchase, productName: productName)
        } catch {
            context.logger.error(
                "payment provider failed", metadata: ["purchase": "\(purchase.id)", "error": "\(error)"])
            throw APIError(
                .badGateway, .paymentProviderError, "the payment provider could not start the checkout",
                retryable: true)
        }
        switch checkout {
        case .confirmed(let reference):
            let completion = try await confirm(purchase, paymentReference: reference)
            return PurchaseView(purchase: completion.purchase, lot: completion.lot)
        case .redirect(let checkoutId, let url):
            let attached = try await store.attachCheckout(
                workspaceId: purchase.workspaceId, purchaseId: purchase.id, checkoutId: checkoutId, checkoutURL: url)
            return PurchaseView(purchase: attached, lot: nil)
        }
    }

    /// Completes a purchase whose payment was confirmed (the store enqueues `purchase.completed` with the lot).
    func confirm(_ purchase: Purchase, paymentReference: String?) async throws -> PurchaseCompletion {
        let completion = try await store.completePurchase(
            workspaceId: purchase.workspaceId, purchaseId: purchase.id, paymentReference: paymentReference)
        if !completion.replayed {
            metrics.recordOperation("purchase", replayed: false)
            logger.info(
                "purchase completed",
                metadata: [
                    "workspace": "\(purchase.workspaceId)", "purchase": "\(purchase.id)",
                    "credits": "\(purchase.credits)",
                ])
        }
        return completion
    }
}
