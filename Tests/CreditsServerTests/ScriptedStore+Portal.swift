import CreditsCore
import CreditsStore
import Foundation

// Forwards the portal's sign-ins and sessions to the memory store.
extension ScriptedStore {
    func putPortalCredential(_ credential: PortalCredential) async throws {
        try await inner.putPortalCredential(credential)
    }
    func portalCredential(email: String) async throws -> PortalCredential? {
        try await inner.portalCredential(email: email)
    }
    func portalCredential(workspaceId: WorkspaceID, personId: String) async throws -> PortalCredential? {
        try await inner.portalCredential(workspaceId: workspaceId, personId: personId)
    }
    func portalCredentialCount() async throws -> Int { try await inner.portalCredentialCount() }
    func createPortalSession(_ session: PortalSession) async throws { try await inner.createPortalSession(session) }
    func portalSession(tokenHash: String) async throws -> PortalSession? {
        try await inner.portalSession(tokenHash: tokenHash)
    }
    func deletePortalSession(tokenHash: String) async throws {
        try await inner.deletePortalSession(tokenHash: tokenHash)
    }
    func deleteExpiredPortalSessions(before: Date) async throws -> Int {
        try await inner.deleteExpiredPortalSessions(before: before)
    }
}
