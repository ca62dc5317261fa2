import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

extension Person {
    init(row: PostgresRow) throws {
        let (workspaceId, id, email, role, walletId, status, joinedAt, allotment, removalAt, removedAt) =
            try row.decode((String, String, String?, String, String?, String, Int64, Int64, Int64?, Int64?).self)
        self.init(
            id: id, workspaceId: workspaceId, email: email, role: try decodeEnum(role, as: Role.self),
            walletId: walletId, status: try decodeEnum(status, as: PersonStatus.self),
            joinedAt: Date(millis: joinedAt), monthlyAllotment: Credits(allotment),
            removalAt: removalAt.map(Date.init(millis:)), removedAt: removedAt.map(Date.init(millis:)))
    }
}

extension PostgresStore: TeamStore {
    public func person(workspaceId: WorkspaceID, personId: PersonID) async throws -> Person? {
        try await read("person") { connection in
            try await person(workspaceId, personId, on: connection)
        }
    }

    public func people(workspaceId: WorkspaceID) async throws -> [Person] {
        try await read("people") { connection in
            try await people(workspaceId, on: connection)
        }
    }

    // MARK: Rows

    func person(
        _ workspaceId: WorkspaceID, _ personId: PersonID, on connection: PostgresConnection
    ) async throws -> Person? {
        try await rows(
            """
            SELECT \(unescaped: Columns.person) FROM people WHERE workspace_id = \(workspaceId) AND id = \(personId)
            """, on: connection
        ).first.map(Person.init(row:))
    }

    func people(_ workspaceId: WorkspaceID, on connection: PostgresConnection) async throws -> [Person] {
        TeamOrder.people(
            try await rows(
                "SELECT \(unescaped: Columns.person) FROM people WHERE workspace_id = \(workspaceId)", on: connection
            ).map(Person.init(row:)))
    }

    /// The person a new key is for: `personId`, or the owner when nil; refused when missing or removed.
    func keyHolder(
        _ workspaceId: WorkspaceID, _ personId: PersonID?, on connection: PostgresConnection
    ) async throws -> Person {
        let found: Person?
        if let personId {
            found = try await person(workspaceId, personId, on: connection)
        } else {
            found = try await rows(
                """
                SELECT \(unescaped: Columns.person) FROM people WHERE workspace_id = \(workspaceId) AND role = 'owner'
                """, on: connection
            ).first.map(Person.init(row:))
        }
        guard let holder = found, holder.canAct else {
            throw LedgerRefusal(.personNotFound, "no active person \(personId ?? "owner") in this workspace")
        }
        return holder
    }

    func upsert(_ person: Person, on connection: PostgresConnection) async throws {
        try await execute(
            """
            INSERT INTO people (\(unescaped: Columns.person)) VALUES (\(person.workspaceId), \(person.id), \
            \(person.email), \(person.role.rawValue), \(person.walletId), \(person.status.rawValue), \
            \(person.joinedAt.millis), \(person.monthlyAllotment.count), \(person.removalAt?.millis), \
            \(person.removedAt?.millis))
            ON CONFLICT (workspace_id, id) DO UPDATE SET email = excluded.email, status = excluded.status,
                monthly_allotment = excluded.monthly_allotment, removal_at_ms = excluded.removal_at_ms,
                removed_at_ms = excluded.removed_at_ms
            """, on: connection)
    }
}

extension Invitation {
    init(row: PostgresRow) throws {
        let (workspaceId, id, email, tokenHash, status, invitedBy, createdAt, sentAt, expiresAt, personId, endedAt) =
            try row.decode((String, String, String, String, String, String, Int64, Int64, Int64, String?, Int64?).self)
        self.init(
            id: id, workspaceId: workspaceId, email: email, tokenHash: tokenHash,
            status: try decodeEnum(status, as: InvitationStatus.self), invitedBy: invitedBy,
            createdAt: Date(millis: createdAt), sentAt: Date(millis: sentAt), expiresAt: Date(millis: expiresAt),
            personId: personId, endedAt: endedAt.map(Date.init(millis:)))
    }
}

extension AuditEvent {
    init(row: PostgresRow) throws {
        let (workspaceId, id, actor, action, subject, before, after, createdAt) = try row.decode(
            (String, String, String, String, String?, String?, String?, Int64).self)
        self.init(
            id: id, workspaceId: workspaceId, actor: actor, action: try decodeEnum(action, as: AuditAction.self),
            subject: subject, before: AuditJSON.decode(before), after: AuditJSON.decode(after),
            createdAt: Date(millis: createdAt))
    }
}

/// Column lists of the team tables, in the order the decoders read them.
enum TeamColumns {
    static let invitation =
        "workspace_id, id, email, token_hash, status, invited_by, created_at_ms, sent_at_ms, expires_at_ms, "
        + "person_id, ended_at_ms"
    static let audit = "workspace_id, id, actor, action, subject, before, after, created_at_ms"
}

extension PostgresStore {
    public func team(_ request: TeamRequest) async throws -> TeamResult {
        try await transaction("team", .notIdempotent) { connection in
            let now = now()
            let snapshot = try await teamSnapshot(request.workspaceId, now: now, on: connection)
            let (outcome, change) = try TeamRules.decide(
                request.command, actor: request.actor, snapshot: snapshot, now: now, ids: ids)
            let key = try await applyTeam(change, newKey: request.newKey, now: now, on: connection)
            return TeamResult(outcome: outcome, key: key)
        }
    }

    /// Looks an invitation up by its token alone (no workspace known yet): `invitations_token_key` is unique.
    public func invitation(tokenHash: String) async throws -> Invitation? {
        try await read("invitation") { connection in
            try await rows(
                "SELECT \(unescaped: TeamColumns.invitation) FROM invitations WHERE token_hash = \(tokenHash)",
                on: connection
            ).first.map(Invitation.init(row:))
        }
    }

    public func invitations(workspaceId: WorkspaceID) async throws -> [Invitation] {
        try await read("invitations") { connection in
            try await invitations(workspaceId, on: connection)
        }
    }

    public func auditEvents(_ query: AuditQuery) async throws -> AuditPage {
        try query.validate()
        return try await read("auditEvents") { connection in
            let fetched = try await rows(
                """
                SELECT \(unescaped: TeamColumns.audit) FROM audit_events
                WHERE workspace_id = \(query.workspaceId) AND (\(query.before)::text IS NULL OR id < \(query.before))
                ORDER BY id DESC LIMIT \(query.limit + 1)
                """, on: connection
            ).map(AuditEvent.init(row:))
            return AuditPage(fetched: fetched, limit: query.limit)
        }
    }

    func invitations(_ workspaceId: WorkspaceID, on connection: PostgresConnection) async throws -> [Invitation] {
        try await rows(
            """
            SELECT \(unescaped: TeamColumns.invitation) FROM invitations WHERE workspace_id = \(workspaceId)
            ORDER BY id DESC
            """, on: connection
        ).map(Invitation.init(row:))
    }

    /// The team in this transaction. Locks the pool first, then every member wallet by id, then their lots: team
    /// decisions of one workspace take turns, and lock in the order spending does (wallet, then lots).
    func teamSnapshot(_ workspaceId: WorkspaceID, now: Date, on connection: PostgresConnection) async throws
        -> TeamSnapshot
    {
        let pool = try await pool(workspaceId, locking: true, on: connection)
        let members = try await rows(
            """
            SELECT \(unescaped: Columns.wallet) FROM wallets WHERE workspace_id = \(workspaceId) AND kind = 'member'
            ORDER BY id FOR NO KEY UPDATE
            """, on: connection
        ).map(Wallet.init(row:))
        let lots = try await rows(
            """
            SELECT \(unescaped: Columns.lot) FROM lots WHERE workspace_id = \(workspaceId) AND remaining > 0
            ORDER BY id FOR NO KEY UPDATE
            """, on: connection
        ).map(Lot.init(row:))
        let subscription = try await subscription(workspaceId, locking: false, on: connection)
        var plan: Plan?
        if let subscription { plan = try await self.plan(subscription.planId, on: connection) }
        let terms = TeamSnapshot.terms(subscription: subscription, plan: plan, now: now)
        return TeamSnapshot(
            workspaceId: workspaceId, people: try await people(workspaceId, on: connection),
            invitations: try await invitations(workspaceId, on: connection), wallets: [pool] + members, lots: lots,
            planAllotment: terms.planAllotment, cycleEnd: terms.cycleEnd)
    }

    /// Writes a team decision in the caller's transaction.
    func applyTeam(
        _ change: TeamChange, newKey: NewAPIKey?, now: Date, on connection: PostgresConnection
    ) async throws -> APIKey? {
        for wallet in change.wallets {
            try await execute(
                """
                INSERT INTO wallets (\(unescaped: Columns.wallet))
                VALUES (\(wallet.workspaceId), \(wallet.id), \(wallet.kind.rawValue), \(wallet.memberId), \
                \(wallet.createdAt.millis))
                """, on: connection)
        }
        for person in change.people { try await upsert(person, on: connection) }
        for invitation in change.invitations {
            try await execute(
                """
                INSERT INTO invitations (\(unescaped: TeamColumns.invitation)) VALUES (\(invitation.workspaceId), \
                \(invitation.id), \(invitation.email), \(invitation.tokenHash), \(invitation.status.rawValue), \
                \(invitation.invitedBy), \(invitation.createdAt.millis), \(invitation.sentAt.millis), \
                \(invitation.expiresAt.millis), \(invitation.personId), \(invitation.endedAt?.millis))
                ON CONFLICT (workspace_id, id) DO UPDATE SET token_hash = excluded.token_hash,
                    status = excluded.status, sent_at_ms = excluded.sent_at_ms, expires_at_ms = excluded.expires_at_ms,
                    person_id = excluded.person_id, ended_at_ms = excluded.ended_at_ms
                """, on: connection)
        }
        try await write(change.ledger, on: connection)
        for event in change.audit {
            try await execute(
                """
                INSERT INTO audit_events (\(unescaped: TeamColumns.audit)) VALUES (\(event.workspaceId), \(event.id), \
                \(event.actor), \(event.action.rawValue), \(event.subject), \(AuditJSON.encode(event.before)), \
                \(AuditJSON.encode(event.after)), \(event.createdAt.millis))
                """, on: connection)
        }
        for personId in change.revokeKeysOf {
            guard let workspaceId = change.people.first(where: { $0.id == personId })?.workspaceId else { continue }
            try await execute(
                """
                UPDATE api_keys SET revoked_at_ms = \(now.millis)
                WHERE workspace_id = \(workspaceId) AND person_id = \(personId) AND revoked_at_ms IS NULL
                """, on: connection)
        }
        guard let person = change.keyFor else { return nil }
        guard let newKey else { preconditionFailure("accepting an invitation needs the new member's key") }
        let key = makeKey(workspaceId: person.workspaceId, newKey, person: person, now: now)
        try await insert(key, on: connection)
        return key
    }

    /// The team's part of a cycle reset, in the reset's transaction (the pool and its lots already locked).
    func resetTeam(
        _ workspaceId: WorkspaceID, allotmentLotId: LotID?, now: Date, on connection: PostgresConnection
    ) async throws {
        // Most workspaces have no members: one indexed probe instead of locking and loading the team.
        let members = try await rows(
            """
            SELECT 1 FROM people WHERE workspace_id = \(workspaceId) AND role = 'member' AND status <> 'removed' LIMIT 1
            """, on: connection)
        guard !members.isEmpty else { return }
        let change = TeamRules.cycleReset(
            snapshot: try await teamSnapshot(workspaceId, now: now, on: connection), allotmentLotId: allotmentLotId,
            now: now, ids: ids)
        _ = try await applyTeam(change, newKey: nil, now: now, on: connection)
    }
}
