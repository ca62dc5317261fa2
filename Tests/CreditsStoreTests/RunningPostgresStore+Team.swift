import CreditsCore
import CreditsStore
import Foundation

/// `TeamStore`, forwarded to the PostgreSQL store.
extension RunningPostgresStore {
    func person(workspaceId: WorkspaceID, personId: PersonID) async throws -> Person? {
        try await base.person(workspaceId: workspaceId, personId: personId)
    }
    func people(workspaceId: WorkspaceID) async throws -> [Person] {
        try await base.people(workspaceId: workspaceId)
    }
}

extension RunningPostgresStore {
    func team(_ request: TeamRequest) async throws -> TeamResult { try await base.team(request) }
    func invitation(tokenHash: String) async throws -> Invitation? { try await base.invitation(tokenHash: tokenHash) }
    func invitations(workspaceId: WorkspaceID) async throws -> [Invitation] {
        try await base.invitations(workspaceId: workspaceId)
    }
    func auditEvents(_ query: AuditQuery) async throws -> AuditPage { try await base.auditEvents(query) }
}
