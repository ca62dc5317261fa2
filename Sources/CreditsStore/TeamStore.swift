import CreditsCore
import Foundation

/// People, invitations, member wallets and the audit log (issue 6, docs/teams.md). Every backend keeps one owner
/// per workspace (created with the workspace) and writes each team change, its ledger entries and its audit event
/// in one transaction.
public protocol TeamStore: Sendable {
    /// The person with `personId` in the workspace, whatever their status; nil for another workspace's.
    func person(workspaceId: WorkspaceID, personId: PersonID) async throws -> Person?
    /// Everyone in the workspace, removed people included, owner first then by id.
    func people(workspaceId: WorkspaceID) async throws -> [Person]

    /// Decides and writes one team command in one transaction with its ledger entries and audit event (the pool
    /// locked first, so allocations by concurrent requests take turns). An accepted invitation also makes the new
    /// member's first key from `request.newKey`.
    func team(_ request: TeamRequest) async throws -> TeamResult
    /// The invitation whose token hashes to `tokenHash`, in any workspace.
    func invitation(tokenHash: String) async throws -> Invitation?
    /// The workspace's invitations, newest first.
    func invitations(workspaceId: WorkspaceID) async throws -> [Invitation]
    /// The audit log, newest first, a page at a time.
    func auditEvents(_ query: AuditQuery) async throws -> AuditPage
}

/// One team command, by whom, in which workspace.
public struct TeamRequest: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    /// A person id, or `AuditEvent.operatorActor` / `systemActor`.
    public var actor: String
    public var command: TeamCommand
    /// The key to make for the new member when the command accepts an invitation.
    public var newKey: NewAPIKey?

    public init(workspaceId: WorkspaceID, actor: String, command: TeamCommand, newKey: NewAPIKey? = nil) {
        self.workspaceId = workspaceId
        self.actor = actor
        self.command = command
        self.newKey = newKey
    }
}

/// What a team command did, with the new member's key when it made one.
public struct TeamResult: Hashable, Sendable {
    public var outcome: TeamOutcome
    public var key: APIKey?

    public init(outcome: TeamOutcome, key: APIKey? = nil) {
        self.outcome = outcome
        self.key = key
    }
}

/// Which audit events to list.
public struct AuditQuery: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var limit: Int
    /// Cursor: events older than this event id.
    public var before: String?

    public init(workspaceId: WorkspaceID, limit: Int = Limits.pageSizeDefault, before: String? = nil) {
        self.workspaceId = workspaceId
        self.limit = limit
        self.before = before
    }

    public func validate() throws(LedgerRefusal) {
        guard (1...Limits.pageSizeMax).contains(limit) else {
            throw .invalid("limit must be between 1 and \(Limits.pageSizeMax)")
        }
        if let before { try Limits.checkIdentifier(before, field: "cursor") }
    }
}

/// A page of audit events, newest first.
public struct AuditPage: Hashable, Sendable, Codable {
    public var events: [AuditEvent]
    public var nextCursor: String?

    public init(events: [AuditEvent], nextCursor: String?) {
        self.events = events
        self.nextCursor = nextCursor
    }

    /// Cuts a page from `limit + 1` events fetched newest first.
    public init(fetched: [AuditEvent], limit: Int) {
        self.events = Array(fetched.prefix(limit))
        self.nextCursor = fetched.count > limit ? events.last?.id : nil
    }
}

/// Invitation tokens: `ccinv_` + 40 random base32 characters, shown once; only the SHA-256 is stored.
public enum InvitationToken {
    public static func generate() -> (token: String, hash: String) {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        let token = "ccinv_" + String((0..<40).map { _ in alphabet[Int.random(in: 0..<32, using: &generator)] })
        return (token, APIKeySecret.hash(token))
    }
}

/// Audit before/after objects as stored: JSON text with sorted keys.
public enum AuditJSON {
    public static func encode(_ state: AuditState?) -> String? {
        guard let state else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(state)).map { String(decoding: $0, as: UTF8.self) }
    }

    public static func decode(_ text: String?) -> AuditState? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(AuditState.self, from: Data(text.utf8))
    }
}
