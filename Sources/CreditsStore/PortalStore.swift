import CreditsCore
import Foundation

/// The portal's sign-ins and browser sessions (issue 7). A credential is one person's email and bcrypt hash in one
/// workspace; a session is a random token (stored only as its SHA-256) bound to one workspace and person, with the
/// CSRF token every form of that session carries. See docs/portal.md.
public protocol PortalStore: Sendable {
    /// Creates or replaces the sign-in of `credential.personId` in its workspace. An email (compared lowercased)
    /// signs in to one person only: another person's email is refused (`invalid_request`).
    func putPortalCredential(_ credential: PortalCredential) async throws
    /// The sign-in with this email (lowercased), in any workspace.
    func portalCredential(email: String) async throws -> PortalCredential?
    /// The sign-in of one person of one workspace.
    func portalCredential(workspaceId: WorkspaceID, personId: String) async throws -> PortalCredential?
    /// How many sign-ins exist in all (0 on a new database: `serve` then offers the demo workspace).
    func portalCredentialCount() async throws -> Int
    /// Stores a new session.
    func createPortalSession(_ session: PortalSession) async throws
    /// The session whose token hashes to `tokenHash`, expired or not (the caller checks the expiry).
    func portalSession(tokenHash: String) async throws -> PortalSession?
    /// Ends a session (sign-out); ending one that is gone is no error.
    func deletePortalSession(tokenHash: String) async throws
    /// Deletes sessions that expired before `before`; returns how many.
    @discardableResult
    func deleteExpiredPortalSessions(before: Date) async throws -> Int
}

/// One person's portal sign-in.
public struct PortalCredential: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    /// The person (the owner or a member) the sign-in is for.
    public var personId: String
    /// Stored lowercased and trimmed.
    public var email: String
    /// bcrypt (`$2b$…`); the password itself is never stored.
    public var passwordHash: String
    public var createdAt: Date

    public init(workspaceId: WorkspaceID, personId: String, email: String, passwordHash: String, createdAt: Date) {
        self.workspaceId = workspaceId
        self.personId = personId
        self.email = PortalCredential.normalize(email)
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }

    /// Longest email accepted (RFC 5321's path limit).
    public static let emailBytesMax = 254

    /// Emails are compared trimmed and lowercased.
    public static func normalize(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// Checks the fields the schema also guards.
    public func validate() throws(LedgerRefusal) {
        guard !email.isEmpty, email.utf8.count <= Self.emailBytesMax, email.contains("@") else {
            throw .invalid("email must be an address of at most \(Self.emailBytesMax) bytes")
        }
        try Limits.checkIdentifier(personId, field: "personId")
        guard passwordHash.hasPrefix("$2") else { throw .invalid("passwordHash must be a bcrypt hash") }
    }
}

/// One signed-in browser.
public struct PortalSession: Hashable, Sendable {
    /// SHA-256 (hex) of the cookie's token; the token itself is never stored.
    public var tokenHash: String
    public var workspaceId: WorkspaceID
    public var personId: String
    /// The synchronizer token every form of this session must send back.
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(
        tokenHash: String, workspaceId: WorkspaceID, personId: String, csrfToken: String, createdAt: Date,
        expiresAt: Date
    ) {
        self.tokenHash = tokenHash
        self.workspaceId = workspaceId
        self.personId = personId
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
