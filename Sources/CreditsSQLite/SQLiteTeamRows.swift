import CreditsCore
import CreditsStore
import Foundation
import GRDB

/// Reading and writing people, invitations and audit events.
enum SQLiteTeamRows {
    static let personColumns =
        "id, workspace_id, email, role, wallet_id, status, joined_at, monthly_allotment, removal_at, removed_at"
    static func person(_ row: Columns) -> Person {
        Person(
            id: row.text(0), workspaceId: row.text(1), email: row.optionalText(2),
            role: Role(rawValue: row.text(3)) ?? .member, walletId: row.optionalText(4),
            status: PersonStatus(rawValue: row.text(5)) ?? .removed, joinedAt: SQLiteRows.date(row, 6),
            monthlyAllotment: Credits(row.integer(7)), removalAt: SQLiteRows.optionalDate(row, 8),
            removedAt: SQLiteRows.optionalDate(row, 9))
    }

    static func people(_ db: Database, _ workspaceId: WorkspaceID) throws -> [Person] {
        TeamOrder.people(
            try db.rows(
                "SELECT \(personColumns) FROM people WHERE workspace_id = ?", [.text(workspaceId)], person))
    }

    static func person(_ db: Database, _ workspaceId: WorkspaceID, _ personId: PersonID) throws -> Person? {
        try db.firstRow(
            "SELECT \(personColumns) FROM people WHERE workspace_id = ? AND id = ?",
            [.text(workspaceId), .text(personId)], person)
    }

    /// The person a new key is for: `personId`, or the owner when nil; refused when missing or removed.
    static func keyHolder(_ db: Database, _ workspaceId: WorkspaceID, _ personId: PersonID?) throws -> Person {
        let found =
            try personId.map { try person(db, workspaceId, $0) }
            ?? db.firstRow(
                "SELECT \(personColumns) FROM people WHERE workspace_id = ? AND role = 'owner'", [.text(workspaceId)],
                person)
        guard let holder = found, holder.canAct else {
            throw LedgerRefusal(.personNotFound, "no active person \(personId ?? "owner") in this workspace")
        }
        return holder
    }

    static func insert(_ person: Person, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO people (id, workspace_id, email, role, wallet_id, status, joined_at, monthly_allotment,
                                    removal_at, removed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET email = excluded.email, status = excluded.status,
                    monthly_allotment = excluded.monthly_allotment, removal_at = excluded.removal_at,
                    removed_at = excluded.removed_at
                """,
            arguments: [
                person.id, person.workspaceId, person.email, person.role.rawValue, person.walletId,
                person.status.rawValue, person.joinedAt.millisecondsSince1970, person.monthlyAllotment.count,
                person.removalAt?.millisecondsSince1970, person.removedAt?.millisecondsSince1970,
            ])
    }

    static let invitationColumns =
        "id, workspace_id, email, token_hash, status, invited_by, created_at, sent_at, expires_at, person_id, ended_at"
    static func invitation(_ row: Columns) -> Invitation {
        Invitation(
            id: row.text(0), workspaceId: row.text(1), email: row.text(2), tokenHash: row.text(3),
            status: InvitationStatus(rawValue: row.text(4)) ?? .cancelled, invitedBy: row.text(5),
            createdAt: SQLiteRows.date(row, 6), sentAt: SQLiteRows.date(row, 7), expiresAt: SQLiteRows.date(row, 8),
            personId: row.optionalText(9), endedAt: SQLiteRows.optionalDate(row, 10))
    }

    static func invitations(_ db: Database, _ workspaceId: WorkspaceID) throws -> [Invitation] {
        try db.rows(
            "SELECT \(invitationColumns) FROM invitations WHERE workspace_id = ? ORDER BY id DESC",
            [.text(workspaceId)], invitation)
    }

    static func upsert(_ invitation: Invitation, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO invitations (id, workspace_id, email, token_hash, status, invited_by, created_at, sent_at,
                                         expires_at, person_id, ended_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, status = excluded.status,
                    sent_at = excluded.sent_at, expires_at = excluded.expires_at, person_id = excluded.person_id,
                    ended_at = excluded.ended_at
                """,
            arguments: [
                invitation.id, invitation.workspaceId, invitation.email, invitation.tokenHash,
                invitation.status.rawValue, invitation.invitedBy, invitation.createdAt.millisecondsSince1970,
                invitation.sentAt.millisecondsSince1970, invitation.expiresAt.millisecondsSince1970,
                invitation.personId, invitation.endedAt?.millisecondsSince1970,
            ])
    }

    static let auditColumns = "id, workspace_id, actor, action, subject, before, after, created_at"
    static func audit(_ row: Columns) -> AuditEvent {
        AuditEvent(
            id: row.text(0), workspaceId: row.text(1), actor: row.text(2),
            action: AuditAction(rawValue: row.text(3)) ?? .memberJoined, subject: row.optionalText(4),
            before: AuditJSON.decode(row.optionalText(5)), after: AuditJSON.decode(row.optionalText(6)),
            createdAt: SQLiteRows.date(row, 7))
    }

    static func insert(_ event: AuditEvent, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO audit_events (id, workspace_id, actor, action, subject, before, after, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                event.id, event.workspaceId, event.actor, event.action.rawValue, event.subject,
                AuditJSON.encode(event.before), AuditJSON.encode(event.after), event.createdAt.millisecondsSince1970,
            ])
    }

    /// The team as it is in this transaction, for a decision.
    static func snapshot(_ db: Database, _ workspaceId: WorkspaceID, now: Date) throws -> TeamSnapshot {
        let subscription = try SQLiteBillingRows.subscription(db, workspaceId)
        let plan = try subscription.flatMap { try SQLiteBillingRows.plan(db, $0.planId) }
        let terms = TeamSnapshot.terms(subscription: subscription, plan: plan, now: now)
        return TeamSnapshot(
            workspaceId: workspaceId, people: try people(db, workspaceId),
            invitations: try invitations(db, workspaceId),
            wallets: try db.rows(
                "SELECT \(SQLiteRows.walletColumns) FROM wallets WHERE workspace_id = ?", [.text(workspaceId)],
                SQLiteRows.wallet),
            lots: try db.rows(
                """
                SELECT \(SQLiteRows.lotColumns) FROM lots
                WHERE wallet_id IN (SELECT id FROM wallets WHERE workspace_id = ?) AND remaining > 0
                """,
                [.text(workspaceId)], SQLiteRows.lot),
            planAllotment: terms.planAllotment, cycleEnd: terms.cycleEnd)
    }
}

extension SQLiteStore: TeamStore {
    public func person(workspaceId: WorkspaceID, personId: PersonID) async throws -> Person? {
        try await readPool.read { db in try SQLiteTeamRows.person(db, workspaceId, personId) }
    }

    public func people(workspaceId: WorkspaceID) async throws -> [Person] {
        try await readPool.read { db in try SQLiteTeamRows.people(db, workspaceId) }
    }

    public func team(_ request: TeamRequest) async throws -> TeamResult {
        let (clock, ids) = (clockSource, idSource)
        return try await groupWriter.write { db in
            guard
                try db.firstRow("SELECT 1 FROM workspaces WHERE id = ?", [.text(request.workspaceId)], { _ in true })
                    != nil
            else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
            let now = clock.now()
            let snapshot = try SQLiteTeamRows.snapshot(db, request.workspaceId, now: now)
            let (outcome, change) = try TeamRules.decide(
                request.command, actor: request.actor, snapshot: snapshot, now: now, ids: ids)
            try Self.writeTeam(change, now: now, db)
            var key: APIKey?
            if let person = change.keyFor {
                guard let newKey = request.newKey else {
                    preconditionFailure("accepting an invitation needs the new member's key")
                }
                key = self.makeKey(workspaceId: person.workspaceId, newKey, person: person, now: now)
                try Self.insert(key!, db)
            }
            return TeamResult(outcome: outcome, key: key)
        }
    }

    public func invitation(tokenHash: String) async throws -> Invitation? {
        try await readPool.read { db in
            try db.firstRow(
                "SELECT \(SQLiteTeamRows.invitationColumns) FROM invitations WHERE token_hash = ?", [.text(tokenHash)],
                SQLiteTeamRows.invitation)
        }
    }

    public func invitations(workspaceId: WorkspaceID) async throws -> [Invitation] {
        try await readPool.read { db in try SQLiteTeamRows.invitations(db, workspaceId) }
    }

    public func auditEvents(_ query: AuditQuery) async throws -> AuditPage {
        try query.validate()
        return try await readPool.read { db in
            let fetched = try db.rows(
                """
                SELECT \(SQLiteTeamRows.auditColumns) FROM audit_events
                WHERE workspace_id = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?
                """,
                [.text(query.workspaceId), .text(query.before), .text(query.before), .integer(Int64(query.limit + 1))],
                SQLiteTeamRows.audit)
            return AuditPage(fetched: fetched, limit: query.limit)
        }
    }

    /// Writes a team decision in the caller's transaction (the caller makes a new member's key).
    static func writeTeam(_ change: TeamChange, now: Date, _ db: Database) throws {
        for wallet in change.wallets {
            try db.execute(
                sql: "INSERT INTO wallets (id, workspace_id, kind, member_id, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    wallet.id, wallet.workspaceId, wallet.kind.rawValue, wallet.memberId,
                    wallet.createdAt.millisecondsSince1970,
                ])
        }
        for person in change.people { try SQLiteTeamRows.insert(person, db) }
        for invitation in change.invitations { try SQLiteTeamRows.upsert(invitation, db) }
        try SQLiteRows.apply(change.ledger, db)
        for event in change.audit { try SQLiteTeamRows.insert(event, db) }
        for personId in change.revokeKeysOf {
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL",
                arguments: [now.millisecondsSince1970, personId])
        }
    }

    /// The team's part of a cycle reset, in the reset's transaction.
    static func resetTeam(
        _ workspaceId: WorkspaceID, allotmentLotId: LotID?, now: Date, ids: some IDSource, _ db: Database
    ) throws {
        // Most workspaces have no members: one indexed probe instead of loading the team.
        guard
            try db.firstRow(
                "SELECT 1 FROM people WHERE workspace_id = ? AND role = 'member' AND status <> 'removed' LIMIT 1",
                [.text(workspaceId)], { _ in true }) != nil
        else { return }
        let change = TeamRules.cycleReset(
            snapshot: try SQLiteTeamRows.snapshot(db, workspaceId, now: now), allotmentLotId: allotmentLotId, now: now,
            ids: ids)
        try writeTeam(change, now: now, db)
    }
}
