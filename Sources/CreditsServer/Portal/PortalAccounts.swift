import CreditsCore
import CreditsStore
import Foundation

/// Gives people their portal sign-in (the demo workspace, `callcredits portal-password`).
public enum PortalAccounts {
    /// Shortest password accepted.
    public static let passwordLengthMin = 8

    /// Sets the sign-in of `personId` in the workspace: `email` and a bcrypt hash of `password` at `cost`.
    public static func setPassword(
        store: any ServiceStore, workspaceId: WorkspaceID, personId: String, email: String, password: String,
        cost: UInt8, now: Date
    ) async throws {
        guard password.count >= passwordLengthMin, password.utf8.count <= 72 else {
            // bcrypt reads at most 72 bytes: a longer password would be cut silently.
            throw LedgerRefusal.invalid("a password must be \(passwordLengthMin) to 72 bytes long")
        }
        let hash = await Portal.hash(password, cost: cost)
        try await store.putPortalCredential(
            PortalCredential(
                workspaceId: workspaceId, personId: personId, email: email, passwordHash: hash, createdAt: now))
    }

    /// Sets the sign-in of the workspace's owner (see `setPassword`).
    public static func setOwnerPassword(
        store: any ServiceStore, workspaceId: WorkspaceID, email: String, password: String, cost: UInt8, now: Date
    ) async throws {
        guard let owner = try await PortalPeople.owner(store: store, workspaceId: workspaceId) else {
            throw LedgerRefusal(.workspaceNotFound, "no workspace \(workspaceId)")
        }
        try await setPassword(
            store: store, workspaceId: workspaceId, personId: owner.id, email: email, password: password, cost: cost,
            now: now)
    }
}
