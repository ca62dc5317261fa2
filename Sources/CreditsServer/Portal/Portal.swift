import CreditsCore
import CreditsStore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The portal: server-rendered pages for owners and members (sign-in, billing, Buy Credits, campaigns, the Do Not
/// Call list) under `/portal`, on the same store and rules as the API. See docs/portal.md.
struct Portal: Sendable {
    let api: CreditsAPI
    let templates: MustacheLibrary
    let stylesheet: String
    var configuration: PortalConfiguration { api.configuration.portal }
    var store: any ServiceStore { api.store }

    init(api: CreditsAPI) {
        self.api = api
        var library = MustacheLibrary()
        var css = ""
        if let folder = Bundle.module.url(forResource: "portal", withExtension: nil, subdirectory: "Resources") {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for file in files where file.hasSuffix(".mustache") {
                let text = (try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)) ?? ""
                do {
                    try library.register(text, named: String(file.dropLast(".mustache".count)))
                } catch {
                    preconditionFailure("portal template \(file) does not parse: \(error)")
                }
            }
            css = (try? String(contentsOf: folder.appendingPathComponent("portal.css"), encoding: .utf8)) ?? ""
        }
        templates = library
        stylesheet = css
    }

    /// Cookie names: the session, and the sign-in form's CSRF token (double-submitted before any session exists).
    static let sessionCookie = "cc_session"
    static let signInCookie = "cc_signin"
    /// Every form's hidden CSRF field.
    static let csrfField = "_csrf"
    /// Largest form body; recipient and DNC uploads may use the configured upload limits instead.
    static let formBytesMax = 64 * 1024

    // MARK: Routes

    /// Registers every portal route on `router`.
    func addRoutes(to router: Router<CreditsRequestContext>) {
        router.get("/portal") { _, _ in Self.redirect("/portal/billing") }
        router.get("/portal/portal.css") { _, _ in
            var fields = HTTPFields()
            fields[.contentType] = "text/css; charset=utf-8"
            fields[.cacheControl] = "max-age=300"
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(string: stylesheet)))
        }
        router.get("/portal/sign-in") { request, _ in await signInPage(request) }
        router.post("/portal/sign-in") { request, context in await signIn(request, context) }
        router.get("/portal/join") { request, _ in await joinPage(request) }
        router.post("/portal/join") { request, context in await join(request, context) }
        router.post("/portal/sign-out", use: form { request, _, signIn, _ in try await signOut(signIn) })
        router.get("/portal/billing", use: page(billingPage))
        router.get("/portal/billing/usage.csv", use: page(usageCSV))
        router.get("/portal/buy", use: page(buyPage))
        router.post("/portal/buy", use: form(buy))
        router.get("/portal/buy/{purchaseId}", use: page(purchaseDonePage))
        router.get("/portal/campaigns", use: page(campaignsPage))
        router.post("/portal/campaigns", use: form(createCampaign))
        router.get("/portal/campaigns/{campaignId}", use: page(campaignPage))
        router.post(
            "/portal/campaigns/{campaignId}/recipients",
            use: form(uploadRecipients, bytesMax: api.configuration.recipientUploadBytesMax))
        router.post("/portal/campaigns/{campaignId}/launch", use: form(launchCampaign))
        router.post("/portal/campaigns/{campaignId}/pause", use: form { try await act($0, $1, $2, $3, .pause) })
        router.post("/portal/campaigns/{campaignId}/resume", use: form { try await act($0, $1, $2, $3, .resume) })
        router.post("/portal/campaigns/{campaignId}/cancel", use: form(cancelCampaign))
        router.get("/portal/dnc", use: page(doNotCallPage))
        router.post("/portal/dnc", use: form(addDoNotCall))
        router.post("/portal/dnc/remove", use: form(removeDoNotCall))
        router.post("/portal/dnc/import", use: form(importDoNotCall, bytesMax: api.configuration.dncImportBytesMax))
        router.get("/portal/team", use: page(teamPage))
        router.post("/portal/team/invite", use: form(invite))
        router.post("/portal/team/invitations/{invitationId}/cancel", use: form(cancelInvitation))
        for action in ["allotment", "transfer", "reclaim", "remove", "cancel-removal"] {
            router.post(
                RouterPath("/portal/team/members/{personId}/\(action)"),
                use: form { try await memberAction($0, $1, $2, $3, action) })
        }
    }

    /// The form routes, for tests that hold every one of them to the CSRF check.
    static let formRoutes: [String] = [
        "/portal/sign-out", "/portal/buy", "/portal/campaigns", "/portal/campaigns/{campaignId}/recipients",
        "/portal/campaigns/{campaignId}/launch", "/portal/campaigns/{campaignId}/pause",
        "/portal/campaigns/{campaignId}/resume", "/portal/campaigns/{campaignId}/cancel", "/portal/dnc",
        "/portal/dnc/remove", "/portal/dnc/import", "/portal/team/invite",
        "/portal/team/invitations/{invitationId}/cancel",
        "/portal/team/members/{personId}/allotment", "/portal/team/members/{personId}/transfer",
        "/portal/team/members/{personId}/reclaim", "/portal/team/members/{personId}/remove",
        "/portal/team/members/{personId}/cancel-removal",
    ]

    typealias PageHandler = @Sendable (Request, CreditsRequestContext, PortalSignIn) async throws -> Response
    typealias FormHandler =
        @Sendable (Request, CreditsRequestContext, PortalSignIn, PortalForm) async throws
        -> Response

    /// A page for a signed-in person: without a session, the sign-in page.
    func page(_ handle: @escaping PageHandler) -> @Sendable (Request, CreditsRequestContext) async -> Response {
        { request, context in
            var signIn: PortalSignIn?
            do {
                signIn = try await signedIn(request)
                guard let signIn else { return Self.redirect("/portal/sign-in") }
                return try await handle(request, context, signIn)
            } catch {
                return errorPage(error, signIn: signIn, context: context)
            }
        }
    }

    /// A form post by a signed-in person, refused with 403 `csrf_invalid` unless it carries the session's CSRF token.
    func form(_ handle: @escaping FormHandler, bytesMax: Int = Portal.formBytesMax)
        -> @Sendable (Request, CreditsRequestContext) async -> Response
    {
        { request, context in
            var signIn: PortalSignIn?
            do {
                signIn = try await signedIn(request)
                guard let signIn else { return Self.redirect("/portal/sign-in") }
                let body = try await api.collectBody(request, limit: bytesMax)
                let form = PortalForm(body: body, contentType: request.headers[.contentType])
                guard let token = form[Self.csrfField], Self.constantTimeEqual(token, signIn.session.csrfToken)
                else {
                    throw PortalError.csrf
                }
                return try await handle(request, context, signIn, form)
            } catch {
                return errorPage(error, signIn: signIn, context: context)
            }
        }
    }

    // MARK: Sessions

    /// The live session the request's cookie names, with its person and workspace; nil when there is none.
    func signedIn(_ request: Request) async throws -> PortalSignIn? {
        guard let token = Self.cookie(Self.sessionCookie, in: request), token.utf8.count <= 128 else { return nil }
        guard let session = try await store.portalSession(tokenHash: Self.sha256(token)),
            session.expiresAt > api.clock.now()
        else { return nil }
        guard let workspace = try await store.workspace(id: session.workspaceId),
            let person = try await PortalPeople.person(
                store: store, workspaceId: session.workspaceId, personId: session.personId)
        else { return nil }
        return PortalSignIn(session: session, person: person, workspace: workspace)
    }

    // MARK: Rendering

    /// The page `template` rendered with `data` inside the layout.
    func render(
        _ template: String, _ data: Any, title: String, signIn: PortalSignIn?, status: HTTPResponse.Status = .ok,
        headers: HTTPFields = [:]
    ) -> Response {
        let body = templates.render(data, withTemplate: template) ?? ""
        let layout = LayoutView(
            title: title, body: body, signedIn: signIn != nil, csrf: signIn?.session.csrfToken ?? "",
            personName: signIn?.person.displayName ?? "", workspaceName: signIn?.workspace.name ?? "",
            isOwner: signIn?.person.isOwner ?? false, current: template)
        let html = templates.render(layout, withTemplate: "layout") ?? body
        return Self.html(html, status: status, headers: headers)
    }

    /// An HTML response with the portal's security headers.
    static func html(_ html: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
            + "base-uri 'none'"
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        fields[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// 303 See Other to `location` (after a form post, and to the sign-in page).
    static func redirect(_ location: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.location] = location
        fields[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: fields)
    }

    /// The error page: refusals show their message and code; anything unexpected a generic message.
    func errorPage(_ error: any Error, signIn: PortalSignIn?, context: CreditsRequestContext) -> Response {
        let details: (status: HTTPResponse.Status, code: String, message: String)
        if let portal = error as? PortalError {
            details = (portal.status, portal.code.rawValue, portal.message)
        } else if let known = APIError.from(error) {
            details = (known.status, known.code, known.message)
        } else {
            context.logger.error("portal request failed", metadata: ["error": "\(String(reflecting: error))"])
            details = (.internalServerError, "internal_error", "Something went wrong on our side.")
        }
        let (status, code, message) = details
        var headers = HTTPFields()
        headers[PortalError.codeHeader] = code
        return render(
            "error", ErrorView(status: Int(status.code), code: code, message: message), title: "Error",
            signIn: signIn, status: status, headers: headers)
    }

    // MARK: Helpers

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/portal, and Secure when configured.
    func setCookie(_ name: String, _ value: String, maxAgeSeconds: Int) -> String {
        var cookie = "\(name)=\(value); Path=/portal; Max-Age=\(maxAgeSeconds); HttpOnly; SameSite=Lax"
        if configuration.secureCookies { cookie += "; Secure" }
        return cookie
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// 32 random bytes, URL-safe base64 without padding.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        SHA256.hash(data: Data(a.utf8)) == SHA256.hash(data: Data(b.utf8))
    }
}

/// A signed-in request: the session, the person and their workspace.
struct PortalSignIn: Sendable {
    let session: PortalSession
    let person: PortalPerson
    let workspace: Workspace
    var format: PortalFormat { PortalFormat(timeZoneIdentifier: workspace.timeZone) }
    var workspaceId: WorkspaceID { workspace.id }
}

/// The portal's own refusals, with stable codes (the page shows them; the `CallCredits-Error` header carries them).
struct PortalError: Error, Sendable {
    enum Code: String, Sendable {
        /// A form without the session's CSRF token (or the sign-in form without its cookie's).
        case csrfInvalid = "csrf_invalid"
        /// Email and password do not match a sign-in.
        case signInFailed = "sign_in_failed"
        /// The page is for the owner only.
        case ownerOnly = "owner_only"
        case notFound = "not_found"
        case invalidForm = "invalid_form"
    }

    var status: HTTPResponse.Status
    var code: Code
    var message: String

    static let codeHeader = HTTPField.Name("CallCredits-Error")!
    static let csrf = PortalError(
        status: .forbidden, code: .csrfInvalid,
        message: "The form has expired or did not come from this site. "
            + "Reload the page and try again.")
    static func invalid(_ message: String) -> PortalError {
        PortalError(status: .unprocessableContent, code: .invalidForm, message: message)
    }
}

/// What the layout shows around every page.
struct LayoutView {
    var title: String
    var body: String
    var signedIn: Bool
    var csrf: String
    var personName: String
    var workspaceName: String
    var isOwner: Bool
    var current: String
}

struct ErrorView {
    var status: Int
    var code: String
    var message: String
}
