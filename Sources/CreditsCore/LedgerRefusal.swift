/// A business refusal: a value with a stable code, never a crash and never a bare string.
/// Cases are ordered by precedence: when several apply, the first one is reported.
public enum RefusalCode: String, Sendable, Codable, CaseIterable {
    /// The request is malformed or out of its limits.
    case invalidRequest = "invalid_request"
    /// No such workspace (or not visible to the caller).
    case workspaceNotFound = "workspace_not_found"
    /// No such wallet in this workspace.
    case walletNotFound = "wallet_not_found"
    /// No plan with this id.
    case planNotFound = "plan_not_found"
    /// No credit package with this id (or it is retired and cannot be bought).
    case packageNotFound = "package_not_found"
    /// The workspace has no subscription.
    case subscriptionNotFound = "subscription_not_found"
    /// No purchase with this id in this workspace.
    case purchaseNotFound = "purchase_not_found"
    /// No such person in this workspace (teams).
    case personNotFound = "person_not_found"
    /// No such invitation, or a token that matches none.
    case invitationNotFound = "invitation_not_found"
    /// No hold for this attempt id: an event for an unknown attempt.
    case unknownAttempt = "unknown_attempt"
    /// The idempotency key (or attempt id) was used before with different content.
    case idempotencyConflict = "idempotency_conflict"
    /// The workspace already has a subscription (change its plan or status instead).
    case subscriptionExists = "subscription_exists"
    /// A refund for a purchase whose payment is not confirmed yet; the confirmation may still arrive.
    case purchaseNotCompleted = "purchase_not_completed"
    /// The invitation's 7 days have passed; the owner can resend it.
    case invitationExpired = "invitation_expired"
    /// The invitation was already accepted or cancelled.
    case invitationClosed = "invitation_closed"
    /// The address already belongs to a person of the workspace (or has a pending invitation).
    case alreadyMember = "already_member"
    /// The change does not apply to the person as they are (the owner cannot be removed, no removal is scheduled,
    /// the person was removed).
    case invalidPersonState = "invalid_person_state"
    /// Allotments or a transfer would promise more credits than the pool holds (docs/teams.md).
    case overAllocation = "over_allocation"
    /// The hold already ended as a charge; it cannot be released.
    case holdAlreadyCaptured = "hold_already_captured"
    /// The hold already ended as a refund; it cannot be captured.
    case holdAlreadyReleased = "hold_already_released"
    /// The wallet has no available credit for this.
    case outOfCredits = "out_of_credits"

    /// Whether sending the same request again later can succeed.
    public var retryable: Bool {
        switch self {
        case .outOfCredits, .purchaseNotCompleted: true
        default: false
        }
    }
}

/// Why the ledger refused a request. Stores throw it; the HTTP layer maps the code to a status.
public struct LedgerRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: RefusalCode
    public var message: String

    public init(_ code: RefusalCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func invalid(_ message: String) -> LedgerRefusal { LedgerRefusal(.invalidRequest, message) }
}
