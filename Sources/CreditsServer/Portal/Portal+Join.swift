import CreditsCore
import CreditsStore
import Foundation
import HTTPTypes
import Hummingbird

/// Joining a team: the invitee opens the link the owner passed on (`/portal/join?token=ccinv_…`), chooses a
/// password, and is signed in as the new member. Like the sign-in form, the form's CSRF token is double-submitted.
extension Portal {
    struct JoinView {
        var csrf: String
        var token: String
        var email: String
        var error: String?
    }

    /// `GET /portal/join?token=`.
    func joinPage(_ request: Request) async -> Response {
        let token = request.uri.queryParameters.get("token") ?? ""
        let email = (try? await invitation(token))?.email ?? ""
        return joinForm(token: token, email: email, error: nil, status: .ok)
    }

    private func joinForm(
        token: String, email: String, error: String?, status: HTTPResponse.Status, code: String? = nil
    )
        -> Response
    {
        let csrf = Self.randomToken()
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: setCookie(Self.signInCookie, csrf, maxAgeSeconds: 3600)))
        if let code { headers[PortalError.codeHeader] = code }
        return render(
            "join", JoinView(csrf: csrf, token: token, email: email, error: error), title: "Join your team",
            signIn: nil, status: status, headers: headers)
    }

    /// `POST /portal/join` `token, password, _csrf`: accepts the invitation (the teams store's command), sets the new
    /// member's sign-in and starts a session.
    func join(_ request: Request, _ context: CreditsRequestContext) async -> Response {
        do {
            let body = try await api.collectBody(request, limit: Self.formBytesMax)
            let form = PortalForm(body: body, contentType: request.headers[.contentType])
            let token = (form["token"] ?? "").trimmingCharacters(in: .whitespaces)
            guard let cookie = Self.cookie(Self.signInCookie, in: request), let sent = form[Self.csrfField],
                Self.constantTimeEqual(cookie, sent)
            else {
                return joinForm(
                    token: token, email: "", error: PortalError.csrf.message, status: .forbidden,
                    code: PortalError.Code.csrfInvalid.rawValue)
            }
            let password = form["password"] ?? ""
            guard password.count >= PortalAccounts.passwordLengthMin, password.utf8.count <= 72 else {
                return joinForm(
                    token: token, email: "", error: "Choose a password of 8 to 72 characters.",
                    status: .unprocessableContent, code: PortalError.Code.invalidForm.rawValue)
            }
            guard let invitation = try await invitation(token) else {
                throw LedgerRefusal(.invitationNotFound, "No invitation has this token.")
            }
            // Checked before joining, so a joined member always has a sign-in.
            if try await store.portalCredential(email: invitation.email) != nil {
                throw LedgerRefusal.invalid("\(invitation.email) already signs in to CallCredits.")
            }
            let result = try await store.team(
                TeamRequest(
                    workspaceId: invitation.workspaceId, actor: "invitee",
                    command: .acceptInvitation(tokenHash: APIKeySecret.hash(token)),
                    newKey: APIKeySecret.generate(name: "portal").key))
            guard let person = result.outcome.person else {
                preconditionFailure("an accepted invitation makes a person")
            }
            try await PortalAccounts.setPassword(
                store: store, workspaceId: person.workspaceId, personId: person.id, email: invitation.email,
                password: password, cost: configuration.passwordCost, now: api.clock.now())
            context.logger.info("invitation accepted in the portal", metadata: ["person": "\(person.id)"])
            return try await startSession(workspaceId: person.workspaceId, personId: person.id)
        } catch {
            return errorPage(error, signIn: nil, context: context)
        }
    }

    private func invitation(_ token: String) async throws -> Invitation? {
        guard token.hasPrefix("ccinv_"), token.utf8.count <= 64 else { return nil }
        return try await store.invitation(tokenHash: APIKeySecret.hash(token))
    }
}
