import CreditsCore
import Foundation

/// Portal sign-ins by email and sessions by token hash.
struct MemoryPortalTables {
    var credentials: [String: PortalCredential] = [:]
    var sessions: [String: PortalSession] = [:]
}

extension MemoryStore: PortalStore {
    public func putPortalCredential(_ credential: PortalCredential) async throws {
        try credential.validate()
        guard workspaces[credential.workspaceId] != nil else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        if let other = portal.credentials[credential.email],
            other.workspaceId != credential.workspaceId || other.personId != credential.personId
        {
            throw LedgerRefusal.invalid("the email \(credential.email) already signs in to another person")
        }
        // One sign-in per person: a new email replaces the old one.
        portal.credentials = portal.credentials.filter {
            !($0.value.workspaceId == credential.workspaceId && $0.value.personId == credential.personId)
        }
        portal.credentials[credential.email] = credential
    }

    public func portalCredential(email: String) async throws -> PortalCredential? {
        portal.credentials[PortalCredential.normalize(email)]
    }

    public func portalCredential(workspaceId: WorkspaceID, personId: String) async throws -> PortalCredential? {
        portal.credentials.values.first { $0.workspaceId == workspaceId && $0.personId == personId }
    }

    public func portalCredentialCount() async throws -> Int { portal.credentials.count }

    public func createPortalSession(_ session: PortalSession) async throws {
        guard workspaces[session.workspaceId] != nil else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        guard portal.sessions[session.tokenHash] == nil else { throw LedgerRefusal.invalid("session exists") }
        portal.sessions[session.tokenHash] = session
    }

    public func portalSession(tokenHash: String) async throws -> PortalSession? { portal.sessions[tokenHash] }

    public func deletePortalSession(tokenHash: String) async throws { portal.sessions[tokenHash] = nil }

    public func deleteExpiredPortalSessions(before: Date) async throws -> Int {
        let expired = portal.sessions.values.filter { $0.expiresAt < before }.map(\.tokenHash)
        for hash in expired { portal.sessions[hash] = nil }
        return expired.count
    }
}
