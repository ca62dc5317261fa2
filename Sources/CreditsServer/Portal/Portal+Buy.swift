import CreditsCore
import CreditsStore
import Foundation
import HTTPTypes
import Hummingbird

/// Buy Credits: the package catalogue, the checkout through the configured payment provider (the built-in one
/// confirms at once; Stripe's Checkout page is a redirect away), and the new balance on return.
extension Portal {
    struct BuyView {
        struct Package {
            var id: String
            var name: String
            var credits: String
            var price: String
            var validity: String
        }
        var packages: [Package]
        var empty: Bool
        var canBuy: Bool
        var available: String
        /// A fresh idempotency key per page view: a form sent twice buys once.
        var purchaseKey: String
        var csrf: String
    }

    /// `GET /portal/buy`.
    func buyPage(_ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn) async throws
        -> Response
    {
        let packages = try await store.packages(includeInactive: false)
        let balance = try await store.balance(workspaceId: signIn.workspaceId, walletId: signIn.person.walletId)
        let view = BuyView(
            packages: packages.map {
                BuyView.Package(
                    id: $0.id, name: $0.name, credits: PortalFormat.credits($0.credits),
                    price: PortalFormat.price($0.priceMinor, currency: $0.currency),
                    validity: $0.validityDays.map { "valid \(PortalFormat.number($0)) days" } ?? "never expire")
            }, empty: packages.isEmpty, canBuy: signIn.person.isOwner,
            available: PortalFormat.credits(balance.available), purchaseKey: "portal-" + Self.randomToken(),
            csrf: signIn.session.csrfToken)
        return render("buy", view, title: "Buy Credits", signIn: signIn)
    }

    /// `POST /portal/buy` `packageId, purchaseKey`: the owner buys for the pool; then the provider's checkout page,
    /// or (confirmed at once) the purchase's page with the new balance.
    func buy(_ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm)
        async throws -> Response
    {
        try requireOwner(signIn)
        guard let packageId = form["packageId"], !packageId.isEmpty else {
            throw PortalError.invalid("Choose a package.")
        }
        guard let key = form["purchaseKey"], !key.isEmpty, key.utf8.count <= Limits.identifierLengthMax else {
            throw PortalError.invalid("The form is incomplete: reload the page and try again.")
        }
        let (view, _) = try await api.purchase(
            by: signIn.person.principal, packageId: packageId, idempotencyKey: key, context: context)
        if view.purchase.status == .pending, let url = view.purchase.checkoutURL {
            return Self.redirect(url)
        }
        return Self.redirect("/portal/buy/\(Self.pathEscape(view.purchase.id))")
    }

    struct PurchaseDoneView {
        var name: String
        var credits: String
        var status: String
        var completed: Bool
        var expires: String
        var available: String
    }

    /// `GET /portal/buy/{purchaseId}`: the purchase and the balance now (where the checkout returns to).
    func purchaseDonePage(_ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn) async throws
        -> Response
    {
        let id = context.parameters.get("purchaseId") ?? ""
        try Limits.checkIdentifier(id, field: "purchaseId")
        guard let purchase = try await store.purchase(workspaceId: signIn.workspaceId, id: id) else {
            throw PortalError(status: .notFound, code: .notFound, message: "There is no such purchase.")
        }
        let balance = try await store.balance(workspaceId: signIn.workspaceId, walletId: purchase.walletId)
        let name = try await store.package(id: purchase.packageId)?.name ?? purchase.packageId
        let view = PurchaseDoneView(
            name: name, credits: PortalFormat.credits(purchase.credits), status: purchase.status.rawValue,
            completed: purchase.status != .pending,
            expires: purchase.expiresAt.map { signIn.format.time($0) } ?? "never",
            available: PortalFormat.credits(balance.available))
        return render("purchase", view, title: "Purchase", signIn: signIn)
    }

    /// Refuses a member on an owner's page or form (403 `owner_only`).
    func requireOwner(_ signIn: PortalSignIn) throws {
        guard signIn.person.isOwner else {
            throw PortalError(status: .forbidden, code: .ownerOnly, message: "Only the workspace owner can do this.")
        }
    }
}
