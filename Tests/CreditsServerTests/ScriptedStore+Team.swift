import CreditsCore
import CreditsStore
import Foundation

/// `TeamStore`, forwarded to the memory store.
extension ScriptedStore {
    func person(workspaceId: WorkspaceID, personId: PersonID) async throws -> Person? {
        try await inner.person(workspaceId: workspaceId, personId: personId)
    }
    func people(workspaceId: WorkspaceID) async throws -> [Person] {
        try await inner.people(workspaceId: workspaceId)
    }
}

extension ScriptedStore {
    func team(_ request: TeamRequest) async throws -> TeamResult { try await inner.team(request) }
    func invitation(tokenHash: String) async throws -> Invitation? { try await inner.invitation(tokenHash: tokenHash) }
    func invitations(workspaceId: WorkspaceID) async throws -> [Invitation] {
        try await inner.invitations(workspaceId: workspaceId)
    }
    func auditEvents(_ query: AuditQuery) async throws -> AuditPage { try await inner.auditEvents(query) }
}
