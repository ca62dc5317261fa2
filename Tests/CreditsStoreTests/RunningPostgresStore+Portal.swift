import CreditsCore
import CreditsStore
import Foundation

// Forwards the portal's sign-ins and sessions to the PostgreSQL store.
extension RunningPostgresStore {
    func putPortalCredential(_ credential: PortalCredential) async throws {
        try await base.putPortalCredential(credential)
    }
    func portalCredential(email: String) async throws -> PortalCredential? {
        try await base.portalCredential(email: email)
    }
    func portalCredential(workspaceId: WorkspaceID, personId: String) async throws -> PortalCredential? {
        try await base.portalCredential(workspaceId: workspaceId, personId: personId)
    }
    func portalCredentialCount() async throws -> Int { try await base.portalCredentialCount() }
    func createPortalSession(_ session: PortalSession) async throws { try await base.createPortalSession(session) }
    func portalSession(tokenHash: String) async throws -> PortalSession? {
        try await base.portalSession(tokenHash: tokenHash)
    }
    func deletePortalSession(tokenHash: String) async throws {
        try await base.deletePortalSession(tokenHash: tokenHash)
    }
    func deleteExpiredPortalSessions(before: Date) async throws -> Int {
        try await base.deleteExpiredPortalSessions(before: before)
    }
}
