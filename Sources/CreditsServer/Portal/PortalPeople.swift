import CreditsCore
import CreditsStore

/// Who is signed in: the person, their role, and the wallet their pages show.
struct PortalPerson: Sendable {
    enum Role: String, Sendable {
        case owner
        case member
    }

    var id: String
    var role: Role
    var displayName: String
    /// The wallet the person's billing page and campaigns use: the pool for the owner, their own for a member.
    var walletId: WalletID

    var isOwner: Bool { role == .owner }
}

/// Resolves a session's person id to a person of the workspace.
enum PortalPeople {
    /// The person id the workspace owner signs in as.
    ///
    /// PHASE-1 PLACEHOLDER (issue 7 before teams, issue 6, lands): the owner is the only person and has the fixed id
    /// "owner"; `person(…)` below is the one function to replace with the teams store's people lookup.
    static let ownerPlaceholderId = "owner"

    /// The person `personId` of the workspace, or nil when there is no such person (the session is then refused).
    ///
    /// PHASE-1 PLACEHOLDER: only the owner exists, on the pool wallet.
    static func person(store: any ServiceStore, workspaceId: WorkspaceID, personId: String) async throws
        -> PortalPerson?
    {
        guard personId == ownerPlaceholderId else { return nil }
        guard let pool = try await store.wallets(workspaceId: workspaceId).first(where: { $0.kind == .pool }) else {
            return nil
        }
        return PortalPerson(id: personId, role: .owner, displayName: "Owner", walletId: pool.id)
    }
}
