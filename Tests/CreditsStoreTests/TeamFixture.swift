import CreditsCore
import CreditsStore
import Foundation
import Testing

/// A member made through an invitation, with their first key.
struct Member {
    let person: Person
    let key: APIKey
    var id: PersonID { person.id }
    var wallet: WalletID { person.walletId! }
}

extension Fixture {
    /// The workspace's owner.
    func owner() async throws -> Person {
        try #require(try await store.people(workspaceId: workspace).first { $0.role == .owner })
    }

    /// Runs a team command as the owner.
    @discardableResult
    func team(_ command: TeamCommand, actor: String? = nil) async throws -> TeamResult {
        var actor = actor
        if actor == nil { actor = try await owner().id }
        return try await store.team(TeamRequest(workspaceId: workspace, actor: actor!, command: command))
    }

    /// Invites `email` and accepts at once: a member with a wallet and a key.
    func member(_ email: String) async throws -> Member {
        let (token, hash) = InvitationToken.generate()
        _ = token
        try await team(.invite(email: email, tokenHash: hash))
        return try await accept(hash)
    }

    /// Accepts the invitation whose token hashes to `hash`.
    func accept(_ hash: String) async throws -> Member {
        let result = try await store.team(
            TeamRequest(
                workspaceId: workspace, actor: "invitee", command: .acceptInvitation(tokenHash: hash),
                newKey: APIKeySecret.generate(name: "member").key))
        return Member(person: try #require(result.outcome.person), key: try #require(result.key))
    }

    /// A wallet's balance.
    func balance(_ walletId: WalletID) async throws -> Balance {
        try await store.balance(workspaceId: workspace, walletId: walletId)
    }

    /// The audit log, newest first.
    func audit() async throws -> [AuditEvent] {
        try await store.auditEvents(AuditQuery(workspaceId: workspace, limit: Limits.pageSizeMax)).events
    }
}
