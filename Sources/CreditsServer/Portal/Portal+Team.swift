import CreditsCore
import CreditsStore
import Foundation
import HTTPTypes
import Hummingbird

/// Team (owner only): members with their wallets and monthly allotments, transfer and reclaim, invitations,
/// removals with cancel, and the audit log. Every change is one of the teams store's commands (docs/teams.md), so
/// its rules, ledger entries and audit events are the API's.
extension Portal {
    struct TeamView {
        struct Member {
            var id: String
            var email: String
            var status: String
            var available: String
            var allotment: String
            var joined: String
            var removal: String?
            var canRemove: Bool
            var canCancelRemoval: Bool
        }
        struct Invitation {
            var id: String
            var email: String
            var status: String
            var expires: String
            var pending: Bool
        }
        struct Event {
            var when: String
            var actor: String
            var action: String
            var subject: String
            var before: String
            var after: String
        }
        var poolAvailable: String
        var members: [Member]
        var noMembers: Bool
        var invitations: [Invitation]
        var events: [Event]
        var message: String?
        var invitationToken: String?
        var csrf: String
    }

    /// `GET /portal/team`.
    func teamPage(_ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn) async throws
        -> Response
    {
        try requireOwner(signIn)
        return try await teamPage(signIn)
    }

    private func teamPage(
        _ signIn: PortalSignIn, message: String? = nil, invitationToken: String? = nil
    ) async throws -> Response {
        let format = signIn.format
        let workspaceId = signIn.workspaceId
        var members: [TeamView.Member] = []
        let people = try await store.people(workspaceId: workspaceId)
        // The audit log names people by email where it can.
        var names: [String: String] = [:]
        for person in people { names[person.id] = person.email ?? (person.role == .owner ? "owner" : person.id) }
        for person in people where person.role == .member {
            var available = "—"
            if let wallet = person.walletId, person.status != .removed {
                available = PortalFormat.credits(
                    try await store.balance(workspaceId: workspaceId, walletId: wallet).available)
            }
            members.append(
                TeamView.Member(
                    id: person.id, email: person.email ?? person.id, status: person.status.rawValue,
                    available: available, allotment: PortalFormat.credits(person.monthlyAllotment),
                    joined: format.time(person.joinedAt), removal: person.removalAt.map { format.time($0) },
                    canRemove: person.status == .active, canCancelRemoval: person.status == .leaving))
        }
        let now = api.clock.now()
        let invitations = try await store.invitations(workspaceId: workspaceId).prefix(50).map {
            TeamView.Invitation(
                id: $0.id, email: $0.email, status: $0.isExpired(at: now) ? "expired" : $0.status.rawValue,
                expires: format.time($0.expiresAt), pending: $0.status == .pending && !$0.isExpired(at: now))
        }
        let audit = try await store.auditEvents(AuditQuery(workspaceId: workspaceId, limit: 50))
        let events = audit.events.map {
            TeamView.Event(
                when: format.time($0.createdAt), actor: names[$0.actor] ?? $0.actor, action: $0.action.rawValue,
                subject: $0.subject.map { names[$0] ?? $0 } ?? "",
                before: Self.describe($0.before), after: Self.describe($0.after))
        }
        let pool = try await store.balance(workspaceId: workspaceId, walletId: signIn.person.walletId)
        let view = TeamView(
            poolAvailable: PortalFormat.credits(pool.available), members: members, noMembers: members.isEmpty,
            invitations: Array(invitations), events: events, message: message, invitationToken: invitationToken,
            csrf: signIn.session.csrfToken)
        return render("team", view, title: "Team", signIn: signIn)
    }

    /// `POST /portal/team/invite` `email`: the invitation's token is shown once, to pass on to the person.
    func invite(_ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm)
        async throws -> Response
    {
        try requireOwner(signIn)
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let (token, hash) = InvitationToken.generate()
        _ = try await teamCommand(signIn, .invite(email: email, tokenHash: hash))
        return try await teamPage(
            signIn,
            message: "\(email) is invited for 7 days. Pass on this link (shown only now): the invitee opens it, "
                + "chooses a password and is signed in.",
            invitationToken: token)
    }

    /// `POST /portal/team/invitations/{invitationId}/cancel`.
    func cancelInvitation(
        _ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm
    ) async throws -> Response {
        try requireOwner(signIn)
        let id = try pathIdentifier("invitationId", context)
        _ = try await teamCommand(signIn, .cancelInvitation(id))
        return try await teamPage(signIn, message: "The invitation is cancelled.")
    }

    /// `POST /portal/team/members/{personId}/{allotment|transfer|reclaim|remove|cancel-removal}`.
    func memberAction(
        _ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm,
        _ action: String
    ) async throws -> Response {
        try requireOwner(signIn)
        let personId = try pathIdentifier("personId", context)
        let message: String
        switch action {
        case "allotment":
            let credits = try amount(form["credits"], allowZero: true)
            _ = try await teamCommand(signIn, .setAllotment(personId, credits))
            message = "The monthly allotment is now \(PortalFormat.credits(credits)) credits."
        case "transfer":
            let credits = try amount(form["credits"], allowZero: false)
            _ = try await teamCommand(signIn, .transfer(personId, credits))
            message = "\(PortalFormat.credits(credits)) credits were transferred."
        case "reclaim":
            let text = (form["credits"] ?? "").trimmingCharacters(in: .whitespaces)
            let credits = text.isEmpty ? nil : try amount(text, allowZero: false)
            _ = try await teamCommand(signIn, .reclaim(personId, credits))
            message =
                credits.map { "\(PortalFormat.credits($0)) credits were taken back." }
                ?? "The member's unused credits were taken back."
        case "remove":
            _ = try await teamCommand(signIn, .scheduleRemoval(personId))
            message = "The member is removed at the end of the current cycle; until then you can cancel."
        default:
            _ = try await teamCommand(signIn, .cancelRemoval(personId))
            message = "The removal is cancelled."
        }
        return try await teamPage(signIn, message: message)
    }

    // MARK: Helpers

    private func teamCommand(_ signIn: PortalSignIn, _ command: TeamCommand) async throws -> TeamResult {
        try await store.team(TeamRequest(workspaceId: signIn.workspaceId, actor: signIn.person.id, command: command))
    }

    private func pathIdentifier(_ name: String, _ context: CreditsRequestContext) throws -> String {
        let value = context.parameters.get(name) ?? ""
        try Limits.checkIdentifier(value, field: name)
        return value
    }

    private func amount(_ text: String?, allowZero: Bool) throws -> Credits {
        let cleaned = (text ?? "").replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces)
        guard let value = Int64(cleaned), value >= (allowZero ? 0 : 1), value <= Limits.grantAmountMax else {
            throw PortalError.invalid(
                "Enter a whole number of credits\(allowZero ? "" : " above 0") (at most "
                    + "\(PortalFormat.number(Limits.grantAmountMax))).")
        }
        return Credits(value)
    }

    /// `credits: 100, status: active` for an audit before/after object.
    static func describe(_ state: AuditState?) -> String {
        guard let state else { return "" }
        return state.keys.sorted().map { key in
            switch state[key] {
            case .text(let text): "\(key): \(text)"
            case .number(let number): "\(key): \(PortalFormat.number(number))"
            case .null, nil: "\(key): —"
            }
        }.joined(separator: ", ")
    }
}
