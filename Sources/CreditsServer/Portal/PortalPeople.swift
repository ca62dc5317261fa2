import CreditsCore
import CreditsStore

/// Who is signed in: the person (from the teams store), and the wallet their pages show.
struct PortalPerson: Sendable {
    var person: Person
    /// The wallet the person's billing page and campaigns use: the pool for the owner, their own for a member.
    var walletId: WalletID

    var id: PersonID { person.id }
    var role: Role { person.role }
    var isOwner: Bool { person.role == .owner }
    var displayName: String { person.email ?? (isOwner ? "Owner" : "Member") }
    /// The principal the API's shared functions (purchases, audit) act as.
    var principal: Principal { Principal(person: person) }
}

/// Resolves a session's person id to a person of the workspace.
enum PortalPeople {
    /// The person `personId` of the workspace, or nil when there is none or they were removed (the session then
    /// opens nothing).
    static func person(store: any ServiceStore, workspaceId: WorkspaceID, personId: PersonID) async throws
        -> PortalPerson?
    {
        guard let person = try await store.person(workspaceId: workspaceId, personId: personId), person.canAct else {
            return nil
        }
        if let walletId = person.walletId { return PortalPerson(person: person, walletId: walletId) }
        guard person.role == .owner,
            let pool = try await store.wallets(workspaceId: workspaceId).first(where: { $0.kind == .pool })
        else { return nil }
        return PortalPerson(person: person, walletId: pool.id)
    }

    /// The workspace's owner.
    static func owner(store: any ServiceStore, workspaceId: WorkspaceID) async throws -> Person? {
        try await store.people(workspaceId: workspaceId).first { $0.role == .owner }
    }
}
