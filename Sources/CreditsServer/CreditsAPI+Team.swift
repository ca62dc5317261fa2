import CreditsCore
import CreditsStore
import Foundation
import Hummingbird

/// Teams (issue 6, docs/teams.md): the member list, allotments, transfers, reclaims, invitations, removals,
/// leaving and the audit log. The owner decides; members read the list and may leave.
extension CreditsAPI {
    var teamRoutes: [Route] {
        [
            Route(.get, "/v1/team/members", statuses: [200], .apiKey(listMembers)),
            Route(
                .put, "/v1/team/members/{personId}/allotment", statuses: bodyStatuses.union([200, 404, 409]),
                .owner(setAllotment)),
            Route(
                .post, "/v1/team/members/{personId}/removal", statuses: [200, 404, 409, 422], .owner(scheduleRemoval)),
            Route(
                .delete, "/v1/team/members/{personId}/removal", statuses: [200, 404, 409, 422], .owner(cancelRemoval)),
            Route(.post, "/v1/team/transfers", statuses: bodyStatuses.union([201, 404, 409]), .owner(transfer)),
            Route(.post, "/v1/team/reclaims", statuses: bodyStatuses.union([201, 402, 404, 409]), .owner(reclaim)),
            Route(.get, "/v1/team/invitations", statuses: [200], .owner(listInvitations)),
            Route(.post, "/v1/team/invitations", statuses: bodyStatuses.union([201, 409]), .owner(invite)),
            Route(
                .post, "/v1/team/invitations/{invitationId}/resend", statuses: [200, 404, 409, 422],
                .owner(resendInvitation)),
            Route(
                .post, "/v1/team/invitations/{invitationId}/cancel", statuses: [200, 404, 409, 422],
                .owner(cancelInvitation)),
            Route(
                .post, "/v1/invitations/accept", statuses: bodyStatuses.union([201, 404, 409, 410, 500]),
                .open(acceptInvitation)),
            Route(.post, "/v1/team/leave", statuses: [200, 409], .apiKey(leave)),
            Route(.get, "/v1/team/audit", statuses: [200, 400, 422], .owner(auditLog)),
        ]
    }

    /// `GET /v1/team/members`: everyone in the workspace (owner first), removed members included. Read-only for
    /// members.
    func listMembers(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        try JSONResponse.make(PeopleView(people: try await store.people(workspaceId: key.workspaceId)))
    }

    /// `PUT /v1/team/members/{personId}/allotment` `{monthlyAllotment}`: from the next reset on, the member gets this
    /// many credits of the plan's allotment. 409 `over_allocation` when allotments would exceed the plan's.
    func setAllotment(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let personId = try personParameter(context)
        let body = try await decodeBody(AllotmentBody.self, from: request)
        return try await teamResponse(key, .setAllotment(personId, body.monthlyAllotment))
    }

    /// `POST /v1/team/members/{personId}/removal`: the member leaves at the end of the current cycle.
    func scheduleRemoval(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        try await teamResponse(key, .scheduleRemoval(try personParameter(context)))
    }

    /// `DELETE /v1/team/members/{personId}/removal`: cancels a scheduled removal (or a member's leaving).
    func cancelRemoval(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        try await teamResponse(key, .cancelRemoval(try personParameter(context)))
    }

    /// `POST /v1/team/transfers` `{personId, amount}`: moves credits from the pool to the member's wallet now,
    /// earliest-expiring first, keeping their expiry. 409 `over_allocation` beyond the pool's available credits.
    func transfer(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let body = try await decodeBody(MoveCreditsBody.self, from: request)
        try Limits.checkIdentifier(body.personId, field: "personId")
        guard let amount = body.amount else { throw LedgerRefusal.invalid("amount is required") }
        return try await teamResponse(key, .transfer(body.personId, amount), status: .created)
    }

    /// `POST /v1/team/reclaims` `{personId, amount?}`: takes unused credits (default: all) back to the pool.
    func reclaim(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let body = try await decodeBody(MoveCreditsBody.self, from: request)
        try Limits.checkIdentifier(body.personId, field: "personId")
        return try await teamResponse(key, .reclaim(body.personId, body.amount), status: .created)
    }

    /// `GET /v1/team/invitations`: every invitation, newest first (tokens are never shown again).
    func listInvitations(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let now = clock.now()
        let invitations = try await store.invitations(workspaceId: key.workspaceId)
        return try JSONResponse.make(InvitationList(invitations: invitations.map { InvitationView($0, now: now) }))
    }

    /// `POST /v1/team/invitations` `{email}`: an invitation valid for 7 days; its token is in this response only.
    func invite(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let body = try await decodeBody(InviteBody.self, from: request)
        let (token, hash) = InvitationToken.generate()
        let result = try await team(key, .invite(email: body.email, tokenHash: hash))
        return try invitationResponse(result, token: token, status: .created)
    }

    /// `POST /v1/team/invitations/{invitationId}/resend`: a new token and 7 more days; the old token stops working.
    func resendInvitation(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let id = try invitationParameter(context)
        let (token, hash) = InvitationToken.generate()
        let result = try await team(key, .resendInvitation(id, tokenHash: hash))
        return try invitationResponse(result, token: token, status: .ok)
    }

    /// `POST /v1/team/invitations/{invitationId}/cancel`.
    func cancelInvitation(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let result = try await team(key, .cancelInvitation(try invitationParameter(context)))
        return try invitationResponse(result, token: nil, status: .ok)
    }

    /// `POST /v1/invitations/accept` `{token, keyName?}` (no credentials: the token is them): makes the member and
    /// their wallet and answers their first API key, shown once. 410 `invitation_expired` after 7 days.
    func acceptInvitation(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let body = try await decodeBody(AcceptInvitationBody.self, from: request)
        guard body.token.hasPrefix("ccinv_"), body.token.utf8.count <= 64 else {
            throw LedgerRefusal(.invitationNotFound, "no invitation has this token")
        }
        let keyName = body.keyName ?? "default"
        guard !keyName.isEmpty, keyName.count <= Limits.nameLengthMax else {
            throw LedgerRefusal.invalid("keyName must be 1 to \(Limits.nameLengthMax) characters")
        }
        let hash = APIKeySecret.hash(body.token)
        guard let invitation = try await store.invitation(tokenHash: hash) else {
            throw LedgerRefusal(.invitationNotFound, "no invitation has this token")
        }
        let (secret, newKey) = APIKeySecret.generate(name: keyName)
        let result = try await store.team(
            TeamRequest(
                workspaceId: invitation.workspaceId, actor: "invitee", command: .acceptInvitation(tokenHash: hash),
                newKey: newKey))
        guard let person = result.outcome.person, let key = result.key else {
            preconditionFailure("an accepted invitation makes a person and a key")
        }
        context.logger.info("invitation accepted", metadata: ["person": "\(person.id)"])
        return try JSONResponse.make(
            JoinedView(person: person, apiKey: APIKeyView(key, secret: secret)), status: .created)
    }

    /// `POST /v1/team/leave`: the calling member leaves at the end of the current cycle (the owner cannot leave).
    func leave(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        try await teamResponse(key, .leave)
    }

    /// `GET /v1/team/audit?limit=&cursor=`: the audit log, newest first.
    func auditLog(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let auditQuery = AuditQuery(
            workspaceId: key.workspaceId, limit: try pageLimit(query.get("limit")), before: query.get("cursor"))
        try auditQuery.validate()
        return try JSONResponse.make(try await store.auditEvents(auditQuery))
    }

    // MARK: Helpers

    /// Runs a team command as `key`.
    func team(_ key: Principal, _ command: TeamCommand) async throws -> TeamResult {
        let result = try await store.team(
            TeamRequest(workspaceId: key.workspaceId, actor: key.personId, command: command))
        for entry in result.outcome.entries { walletWatch.mark(workspaceId: key.workspaceId, walletId: entry.walletId) }
        return result
    }

    private func teamResponse(
        _ key: Principal, _ command: TeamCommand, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let result = try await team(key, command)
        return try JSONResponse.make(
            TeamChangeView(person: result.outcome.person, entries: result.outcome.entries), status: status)
    }

    private func invitationResponse(
        _ result: TeamResult, token: String?, status: HTTPResponse.Status
    ) throws -> Response {
        guard let invitation = result.outcome.invitation else { preconditionFailure("an invitation command") }
        var view = InvitationView(invitation, now: clock.now())
        view.token = token
        return try JSONResponse.make(view, status: status)
    }

    private func personParameter(_ context: CreditsRequestContext) throws -> PersonID {
        let id = try parameter("personId", context)
        try Limits.checkIdentifier(id, field: "personId")
        return id
    }

    private func invitationParameter(_ context: CreditsRequestContext) throws -> InvitationID {
        let id = try parameter("invitationId", context)
        try Limits.checkIdentifier(id, field: "invitationId")
        return id
    }

    /// Records an event decided elsewhere (a purchase, a subscription change) in the workspace's audit log.
    func recordAudit(
        _ workspaceId: WorkspaceID, actor: String, _ action: AuditAction, subject: String?, before: AuditState?,
        after: AuditState?
    ) async throws {
        _ = try await store.team(
            TeamRequest(
                workspaceId: workspaceId, actor: actor,
                command: .record(action, subject: subject, before: before, after: after)))
    }
}

/// `GET /v1/team/members` response.
struct PeopleView: Codable {
    var people: [Person]
}

/// `PUT /v1/team/members/{personId}/allotment` body.
struct AllotmentBody: Decodable {
    var monthlyAllotment: Credits
}

/// Transfer and reclaim bodies.
struct MoveCreditsBody: Decodable {
    var personId: PersonID
    var amount: Credits?
}

/// `POST /v1/team/invitations` body.
struct InviteBody: Decodable {
    var email: String
}

/// `POST /v1/invitations/accept` body.
struct AcceptInvitationBody: Decodable {
    var token: String
    var keyName: String?
}

/// What a team change did: the person as they are now and the ledger entries written.
struct TeamChangeView: Codable {
    var person: Person?
    var entries: [LedgerEntry]
}

/// An invitation as the owner sees it: never the token's hash; the token only when just made.
struct InvitationView: Codable {
    var id: InvitationID
    var email: String
    /// `pending`, `accepted`, `cancelled`, or `expired` (a pending invitation whose 7 days passed).
    var status: String
    var invitedBy: PersonID
    var createdAt: Date
    var sentAt: Date
    var expiresAt: Date
    var personId: PersonID?
    var token: String?

    init(_ invitation: Invitation, now: Date) {
        id = invitation.id
        email = invitation.email
        status = invitation.isExpired(at: now) ? "expired" : invitation.status.rawValue
        invitedBy = invitation.invitedBy
        createdAt = invitation.createdAt
        sentAt = invitation.sentAt
        expiresAt = invitation.expiresAt
        personId = invitation.personId
    }
}

/// `GET /v1/team/invitations` response.
struct InvitationList: Codable {
    var invitations: [InvitationView]
}

/// `POST /v1/invitations/accept` response: the new member and their first key (secret shown once).
struct JoinedView: Codable {
    var person: Person
    var apiKey: APIKeyView
}
