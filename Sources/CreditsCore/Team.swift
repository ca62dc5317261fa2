import Foundation

/// A person's identifier (`per_…`).
public typealias PersonID = String

/// What a person may do in a workspace. Exactly one owner per workspace; no other role (docs/teams.md).
public enum Role: String, Hashable, Sendable, Codable, CaseIterable {
    /// Holds the subscription, the pool and the payment method; sees and decides everything.
    case owner
    /// Calls from their own wallet; sees only their own campaigns, attempts and usage.
    case member
}

/// Where a person is in their membership.
public enum PersonStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// A full member (or the owner).
    case active
    /// Removal (or leaving) is scheduled for the end of the current cycle; cancellable until then.
    case leaving
    /// Gone: the wallet's credits went back to the pool and the keys stopped working.
    case removed
}

/// One person in one workspace: the owner or a member with a wallet of their own.
public struct Person: Hashable, Sendable, Codable {
    public var id: PersonID
    public var workspaceId: WorkspaceID
    /// The address the person was invited at; nil for an owner created without one.
    public var email: String?
    public var role: Role
    /// The member's wallet; nil for the owner, who spends from the pool.
    public var walletId: WalletID?
    public var status: PersonStatus
    public var joinedAt: Date
    /// Credits moved from the cycle's plan allotment into the member's wallet at every reset (0 for the owner).
    public var monthlyAllotment: Credits
    /// When a scheduled removal takes effect (the end of the cycle it was scheduled in); nil when none is.
    public var removalAt: Date?
    /// When the person was removed.
    public var removedAt: Date?

    public init(
        id: PersonID, workspaceId: WorkspaceID, email: String?, role: Role, walletId: WalletID?,
        status: PersonStatus = .active, joinedAt: Date, monthlyAllotment: Credits = .zero, removalAt: Date? = nil,
        removedAt: Date? = nil
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.email = email
        self.role = role
        self.walletId = walletId
        self.status = status
        self.joinedAt = joinedAt
        self.monthlyAllotment = monthlyAllotment
        self.removalAt = removalAt
        self.removedAt = removedAt
    }

    /// Whether the person may still act (a leaving member may, until the removal takes effect).
    public var canAct: Bool { status != .removed }
}

/// Who is making a request: an API key or (portal) a session, resolved to one person of one workspace.
/// Every handler scopes what it reads and writes by it (docs/teams.md, "Access control").
public struct Principal: Hashable, Sendable, Codable {
    public var workspaceId: WorkspaceID
    public var personId: PersonID
    public var role: Role
    /// The member's wallet; nil for the owner (who spends from the pool and sees every wallet).
    public var walletId: WalletID?
    /// The API key the request presented, when it presented one (nil for a portal session).
    public var keyId: String?

    public init(workspaceId: WorkspaceID, personId: PersonID, role: Role, walletId: WalletID?, keyId: String? = nil) {
        self.workspaceId = workspaceId
        self.personId = personId
        self.role = role
        self.walletId = walletId
        self.keyId = keyId
    }

    /// The principal acting as `person`.
    public init(person: Person, keyId: String? = nil) {
        self.init(
            workspaceId: person.workspaceId, personId: person.id, role: person.role, walletId: person.walletId,
            keyId: keyId)
    }

    public var isOwner: Bool { role == .owner }

    /// Whether this principal may see or use `walletId`: the owner every wallet of the workspace, a member only
    /// their own.
    public func mayUse(walletId: WalletID) -> Bool { isOwner || self.walletId == walletId }

    /// Who the principal is, for logs and the audit log.
    public var actor: String { keyId.map { "\(personId) (key \($0))" } ?? personId }
}

/// Email addresses as the team pages take them: checked loosely, compared in lower case.
public enum EmailAddress {
    /// Longest address accepted (RFC 5321's path limit).
    public static let lengthMax = 254

    /// Refuses what cannot be an address: one `@` with text on both sides, no spaces, at most `lengthMax`.
    public static func check(_ email: String) throws(LedgerRefusal) {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= lengthMax, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !email.contains(where: { $0.isWhitespace })
        else { throw .invalid("email must be an address such as ana@example.com (at most \(lengthMax) characters)") }
    }

    /// The form addresses are stored and compared in.
    public static func normalized(_ email: String) -> String { email.lowercased() }
}

/// The orders in which team lists are returned, the same on every backend.
public enum TeamOrder {
    /// Owner first, then members by id (join order: ids are time-ordered).
    public static func people(_ people: [Person]) -> [Person] {
        people.sorted { ($0.role == .owner ? 0 : 1, $0.id) < ($1.role == .owner ? 0 : 1, $1.id) }
    }
}
