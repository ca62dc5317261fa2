import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

/// A browser's view of the portal in tests: its cookies and the CSRF token of its last page.
struct PortalBrowser: Sendable {
    var session: String
    var csrf: String

    var cookie: String { "\(Portal.sessionCookie)=\(session)" }
}

/// The value of the first `name="_csrf" value="…"` on a page.
func csrfToken(in html: String) -> String? {
    guard let range = html.range(of: #"name="_csrf" value=""#) else { return nil }
    let rest = html[range.upperBound...]
    return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
}

/// The value a `Set-Cookie` header of the response gives `name`, with the header itself.
func setCookie(_ name: String, in response: TestResponse) -> (value: String, header: String)? {
    for header in response.headers[values: .setCookie] where header.hasPrefix("\(name)=") {
        let value = header.dropFirst(name.count + 1).prefix { $0 != ";" }
        return (String(value), header)
    }
    return nil
}

extension Harness {
    /// A portal sign-in for the owner of `workspace`.
    func addOwner(_ workspace: TestWorkspace, email: String = "owner@example.com", password: String = "correct-horse")
        async throws
    {
        try await PortalAccounts.setOwnerPassword(
            store: store, workspaceId: workspace.id, email: email, password: password, cost: 4, now: clock.now())
    }
}

extension Harness {
    /// A member invited and joined through the teams store, with a portal sign-in.
    @discardableResult
    func addMember(_ workspace: TestWorkspace, email: String, password: String = "member-horse") async throws
        -> Person
    {
        let owner = try #require(try await PortalPeople.owner(store: store, workspaceId: workspace.id))
        let (_, hash) = InvitationToken.generate()
        _ = try await store.team(
            TeamRequest(workspaceId: workspace.id, actor: owner.id, command: .invite(email: email, tokenHash: hash)))
        let joined = try await store.team(
            TeamRequest(
                workspaceId: workspace.id, actor: "invitee", command: .acceptInvitation(tokenHash: hash),
                newKey: APIKeySecret.generate(name: "member").key))
        let person = try #require(joined.outcome.person)
        try await PortalAccounts.setPassword(
            store: store, workspaceId: workspace.id, personId: person.id, email: email, password: password, cost: 4,
            now: clock.now())
        return person
    }
}

extension TestClientProtocol {
    /// Posts a URL-encoded form with the browser's cookie.
    func postForm(_ uri: String, _ fields: [(String, String)], cookie: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie { headers[.cookie] = cookie }
        let body = fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// GETs a page with the browser's cookie.
    func page(_ uri: String, cookie: String?) async throws -> TestResponse {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        return try await execute(uri: uri, method: .get, headers: headers)
    }

    /// The sign-in response for `email` and `password`, sent as a browser does (the form's cookie and token).
    func signInResponse(email: String, password: String) async throws -> TestResponse {
        let form = try await page("/portal/sign-in", cookie: nil)
        let token = try #require(setCookie(Portal.signInCookie, in: form)?.value)
        #expect(csrfToken(in: text(form)) == token)
        return try await postForm(
            "/portal/sign-in", [("_csrf", token), ("email", email), ("password", password)],
            cookie: "\(Portal.signInCookie)=\(token)")
    }

    /// Signs in and reads the session's CSRF token from the billing page.
    func signIn(email: String = "owner@example.com", password: String = "correct-horse") async throws
        -> PortalBrowser
    {
        let response = try await signInResponse(email: email, password: password)
        #expect(response.status == .seeOther)
        let session = try #require(setCookie(Portal.sessionCookie, in: response)?.value)
        let billing = try await page("/portal/billing", cookie: "\(Portal.sessionCookie)=\(session)")
        #expect(billing.status == .ok)
        return PortalBrowser(session: session, csrf: try #require(csrfToken(in: text(billing))))
    }
}
