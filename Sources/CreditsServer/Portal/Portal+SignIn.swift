import CreditsCore
import CreditsStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt

/// Sign-in and sign-out. The sign-in form has no session yet, so its CSRF token is double-submitted: a random value
/// in an HttpOnly cookie and in the form, which must match.
extension Portal {
    struct SignInView {
        var csrf: String
        var email: String
        var error: String?
    }

    /// `GET /portal/sign-in`: the form (a signed-in browser goes to its billing page).
    func signInPage(_ request: Request) async -> Response {
        if (try? await signedIn(request)) != nil { return Self.redirect("/portal/billing") }
        return signInForm(email: "", error: nil, status: .ok)
    }

    private func signInForm(email: String, error: String?, status: HTTPResponse.Status, code: String? = nil)
        -> Response
    {
        let token = Self.randomToken()
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: setCookie(Self.signInCookie, token, maxAgeSeconds: 3600)))
        if let code { headers[PortalError.codeHeader] = code }
        return render(
            "sign-in", SignInView(csrf: token, email: email, error: error), title: "Sign in", signIn: nil,
            status: status, headers: headers)
    }

    /// `POST /portal/sign-in` `email, password, _csrf`: a new session for the person whose bcrypt hash the password
    /// matches. A wrong email and a wrong password answer alike (and take as long).
    func signIn(_ request: Request, _ context: CreditsRequestContext) async -> Response {
        do {
            let body = try await api.collectBody(request, limit: Self.formBytesMax)
            let form = PortalForm(body: body, contentType: request.headers[.contentType])
            guard let cookie = Self.cookie(Self.signInCookie, in: request), let sent = form[Self.csrfField],
                Self.constantTimeEqual(cookie, sent)
            else {
                return signInForm(
                    email: form["email"] ?? "", error: PortalError.csrf.message, status: .forbidden,
                    code: PortalError.Code.csrfInvalid.rawValue)
            }
            let email = PortalCredential.normalize(form["email"] ?? "")
            let password = form["password"] ?? ""
            let credential =
                email.isEmpty || email.utf8.count > PortalCredential.emailBytesMax
                ? nil : try await store.portalCredential(email: email)
            let matches: Bool
            if let credential {
                matches = await Self.verify(password, hash: credential.passwordHash)
            } else {
                // Without a sign-in, hash anyway at the same cost so the answer takes as long.
                _ = await Self.hash(password, cost: configuration.passwordCost)
                matches = false
            }
            guard let credential, matches, password.utf8.count <= 256 else {
                context.logger.info("portal sign-in refused")
                return signInForm(
                    email: email, error: "The email or password is not right.", status: .unauthorized,
                    code: PortalError.Code.signInFailed.rawValue)
            }
            context.logger.info(
                "portal sign-in",
                metadata: ["workspace": "\(credential.workspaceId)", "person": "\(credential.personId)"])
            return try await startSession(workspaceId: credential.workspaceId, personId: credential.personId)
        } catch {
            return errorPage(error, signIn: nil, context: context)
        }
    }

    /// A new session for the person, its cookie set, and the way to the billing page.
    func startSession(workspaceId: WorkspaceID, personId: PersonID) async throws -> Response {
        let token = Self.randomToken()
        let now = api.clock.now()
        try await store.createPortalSession(
            PortalSession(
                tokenHash: Self.sha256(token), workspaceId: workspaceId, personId: personId,
                csrfToken: Self.randomToken(), createdAt: now,
                expiresAt: now.addingTimeInterval(configuration.sessionSeconds)))
        _ = try? await store.deleteExpiredPortalSessions(before: now)
        var headers = HTTPFields()
        headers.append(
            HTTPField(
                name: .setCookie,
                value: setCookie(Self.sessionCookie, token, maxAgeSeconds: Int(configuration.sessionSeconds))))
        headers.append(HTTPField(name: .setCookie, value: setCookie(Self.signInCookie, "", maxAgeSeconds: 0)))
        return Self.redirect("/portal/billing", headers: headers)
    }

    /// `POST /portal/sign-out`: ends the session and clears its cookie.
    func signOut(_ signIn: PortalSignIn) async throws -> Response {
        try await store.deletePortalSession(tokenHash: signIn.session.tokenHash)
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: setCookie(Self.sessionCookie, "", maxAgeSeconds: 0)))
        return Self.redirect("/portal/sign-in", headers: headers)
    }

    /// Hashes a new password with the configured cost, off the request's thread.
    static func hash(_ password: String, cost: UInt8) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Bcrypt.hash(password, cost: cost)) }
        }
    }

    /// bcrypt's check, off the request's thread (it takes a noticeable fraction of a second by design).
    static func verify(_ password: String, hash: String) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Bcrypt.verify(password, hash: hash)) }
        }
    }
}
