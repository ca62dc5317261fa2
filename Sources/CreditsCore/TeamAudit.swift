import Foundation

/// An invitation's identifier (`inv_…`).
public typealias InvitationID = String

/// Where an invitation is. An expired invitation is still `pending` (expiry is a matter of time, see `isExpired`).
public enum InvitationStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case pending
    case accepted
    case cancelled
}

/// An invitation by email. Only the SHA-256 of its token is kept; the token is shown once, to the owner.
public struct Invitation: Hashable, Sendable, Codable {
    /// How long an invitation (or a resent one) can be accepted: 7 days.
    public static let lifetimeSeconds: TimeInterval = 7 * 86_400

    public var id: InvitationID
    public var workspaceId: WorkspaceID
    public var email: String
    public var tokenHash: String
    public var status: InvitationStatus
    public var invitedBy: PersonID
    public var createdAt: Date
    /// When the current token was made (creation or the latest resend).
    public var sentAt: Date
    public var expiresAt: Date
    /// The member the invitation made, once accepted.
    public var personId: PersonID?
    /// When it was accepted or cancelled.
    public var endedAt: Date?

    public init(
        id: InvitationID, workspaceId: WorkspaceID, email: String, tokenHash: String, status: InvitationStatus,
        invitedBy: PersonID, createdAt: Date, sentAt: Date, expiresAt: Date, personId: PersonID? = nil,
        endedAt: Date? = nil
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.email = email
        self.tokenHash = tokenHash
        self.status = status
        self.invitedBy = invitedBy
        self.createdAt = createdAt
        self.sentAt = sentAt
        self.expiresAt = expiresAt
        self.personId = personId
        self.endedAt = endedAt
    }

    /// Whether a pending invitation's time has passed at `now`.
    public func isExpired(at now: Date) -> Bool { status == .pending && expiresAt <= now }
}

/// A value in an audit event's before/after objects: text, a whole number, or nothing.
public enum AuditValue: Hashable, Sendable, Codable {
    case text(String)
    case number(Int64)
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let number = try? container.decode(Int64.self) {
            self = .number(number)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .number(let number): try container.encode(number)
        case .null: try container.encodeNil()
        }
    }

    public static func credits(_ credits: Credits) -> AuditValue { .number(credits.count) }
    public static func date(_ date: Date?) -> AuditValue {
        date.map { .text(ISO8601DateFormatter().string(from: $0)) } ?? .null
    }
}

/// What an audit event records: who did what to whom, and the state before and after.
public typealias AuditState = [String: AuditValue]

/// The actions the audit log records; stable strings clients may filter on.
public enum AuditAction: String, Hashable, Sendable, Codable, CaseIterable {
    case invitationCreated = "invitation.created"
    case invitationResent = "invitation.resent"
    case invitationCancelled = "invitation.cancelled"
    case memberJoined = "member.joined"
    case removalScheduled = "member.removal_scheduled"
    case removalCancelled = "member.removal_cancelled"
    case memberRemoved = "member.removed"
    case allotmentChanged = "allotment.changed"
    case creditsTransferred = "credits.transferred"
    case creditsReclaimed = "credits.reclaimed"
    case purchaseCreated = "purchase.created"
    case purchaseRefunded = "purchase.refunded"
    case planChanged = "subscription.plan_changed"
    case subscriptionCreated = "subscription.created"
    case subscriptionStatusChanged = "subscription.status_changed"
}

/// One immutable line of the audit log.
public struct AuditEvent: Hashable, Sendable, Codable {
    public var id: String
    public var workspaceId: WorkspaceID
    /// Who: a person id, `operator` (admin token) or `system` (the cycle reset).
    public var actor: String
    public var action: AuditAction
    /// What it was done to: a person, an invitation, a purchase, the subscription.
    public var subject: String?
    public var before: AuditState?
    public var after: AuditState?
    public var createdAt: Date

    public init(
        id: String, workspaceId: WorkspaceID, actor: String, action: AuditAction, subject: String?,
        before: AuditState?, after: AuditState?, createdAt: Date
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.actor = actor
        self.action = action
        self.subject = subject
        self.before = before
        self.after = after
        self.createdAt = createdAt
    }

    /// The actor of changes the operator made with the admin token.
    public static let operatorActor = "operator"
    /// The actor of changes the cycle reset made.
    public static let systemActor = "system"
}
