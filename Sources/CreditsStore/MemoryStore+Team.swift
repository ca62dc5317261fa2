import CreditsCore
import Foundation

/// The reference store's people, invitations and audit log.
struct MemoryTeamTables {
    var people: [PersonID: Person] = [:]
    var invitations: [InvitationID: Invitation] = [:]
    /// Append-only: events are added, never changed.
    var audit: [AuditEvent] = []
}

extension MemoryStore: TeamStore {
    public func person(workspaceId: WorkspaceID, personId: PersonID) async throws -> Person? {
        team.people[personId].flatMap { $0.workspaceId == workspaceId ? $0 : nil }
    }

    public func people(workspaceId: WorkspaceID) async throws -> [Person] {
        TeamOrder.people(team.people.values.filter { $0.workspaceId == workspaceId })
    }

    /// The person a new key is for: `personId`, or the workspace's owner when nil; refused when removed.
    func keyHolder(_ workspaceId: WorkspaceID, _ personId: PersonID?) throws(LedgerRefusal) -> Person {
        let found =
            personId.map { id in team.people[id].flatMap { $0.workspaceId == workspaceId ? $0 : nil } }
            ?? team.people.values.first { $0.workspaceId == workspaceId && $0.role == .owner }
        guard let person = found, person.canAct else {
            throw LedgerRefusal(.personNotFound, "no active person \(personId ?? "owner") in this workspace")
        }
        return person
    }

    public func team(_ request: TeamRequest) async throws -> TeamResult {
        guard workspaces[request.workspaceId] != nil else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        let now = clock.now()
        let (outcome, change) = try TeamRules.decide(
            request.command, actor: request.actor, snapshot: teamSnapshot(request.workspaceId, now: now), now: now,
            ids: ids)
        let key = try applyTeam(change, newKey: request.newKey, now: now)
        return TeamResult(outcome: outcome, key: key)
    }

    public func invitation(tokenHash: String) async throws -> Invitation? {
        team.invitations.values.first { $0.tokenHash == tokenHash }
    }

    public func invitations(workspaceId: WorkspaceID) async throws -> [Invitation] {
        team.invitations.values.filter { $0.workspaceId == workspaceId }.sorted { $0.id > $1.id }
    }

    public func auditEvents(_ query: AuditQuery) async throws -> AuditPage {
        try query.validate()
        let matching = team.audit.filter {
            $0.workspaceId == query.workspaceId && (query.before == nil || $0.id < query.before!)
        }
        .sorted { $0.id > $1.id }
        return AuditPage(fetched: Array(matching.prefix(query.limit + 1)), limit: query.limit)
    }

    /// The team as it is now, for a decision.
    func teamSnapshot(_ workspaceId: WorkspaceID, now: Date) -> TeamSnapshot {
        let subscription = billing.subscriptions[workspaceId]
        let terms = TeamSnapshot.terms(
            subscription: subscription, plan: subscription.flatMap { billing.plans[$0.planId] }, now: now)
        let walletIds = Set(wallets.values.filter { $0.workspaceId == workspaceId }.map(\.id))
        return TeamSnapshot(
            workspaceId: workspaceId, people: team.people.values.filter { $0.workspaceId == workspaceId },
            invitations: team.invitations.values.filter { $0.workspaceId == workspaceId },
            wallets: wallets.values.filter { $0.workspaceId == workspaceId },
            lots: lots.values.filter { walletIds.contains($0.walletId) && $0.remaining > .zero },
            planAllotment: terms.planAllotment, cycleEnd: terms.cycleEnd)
    }

    /// Writes a team decision; makes the new member's key when it accepted an invitation.
    func applyTeam(_ change: TeamChange, newKey: NewAPIKey?, now: Date) throws -> APIKey? {
        for wallet in change.wallets { wallets[wallet.id] = wallet }
        for person in change.people { team.people[person.id] = person }
        for invitation in change.invitations { team.invitations[invitation.id] = invitation }
        apply(change.ledger)
        team.audit += change.audit
        for personId in change.revokeKeysOf {
            for (hash, key) in keys where key.personId == personId && key.revokedAt == nil {
                keys[hash]?.revokedAt = now
            }
        }
        guard let person = change.keyFor else { return nil }
        guard let newKey else { preconditionFailure("accepting an invitation needs the new member's key") }
        let key = makeKey(workspaceId: person.workspaceId, newKey, person: person, now: now)
        keys[key.hash] = key
        return key
    }

    /// The team's part of a cycle reset, in the same step as the pool's.
    func resetTeam(_ workspaceId: WorkspaceID, allotmentLotId: LotID?, now: Date) throws {
        guard team.people.values.contains(where: { $0.workspaceId == workspaceId && $0.role == .member && $0.canAct })
        else { return }
        let change = TeamRules.cycleReset(
            snapshot: teamSnapshot(workspaceId, now: now), allotmentLotId: allotmentLotId, now: now, ids: ids)
        _ = try applyTeam(change, newKey: nil, now: now)
    }
}
