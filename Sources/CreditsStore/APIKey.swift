import CreditsCore
import Crypto
import Foundation

/// An API key of a workspace. Only the SHA-256 of the secret is stored; the secret is shown once.
public struct APIKey: Hashable, Sendable, Codable {
    public var id: String
    public var workspaceId: WorkspaceID
    public var name: String
    /// The first characters of the secret, so a person can tell keys apart.
    public var prefix: String
    public var hash: String
    public var createdAt: Date
    public var revokedAt: Date?
    /// The person the key belongs to; it acts with that person's role.
    public var personId: PersonID
    public var role: Role

    public init(
        id: String, workspaceId: WorkspaceID, name: String, prefix: String, hash: String, createdAt: Date,
        revokedAt: Date? = nil, personId: PersonID, role: Role
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.personId = personId
        self.role = role
        self.name = name
        self.prefix = prefix
        self.hash = hash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// The stored part of a key about to be created.
public struct NewAPIKey: Hashable, Sendable {
    public var name: String
    public var prefix: String
    public var hash: String
    /// Whose key it is; nil: the workspace's owner.
    public var personId: PersonID?

    public init(name: String, prefix: String, hash: String, personId: PersonID? = nil) {
        self.personId = personId
        self.name = name
        self.prefix = prefix
        self.hash = hash
    }
}

/// Makes and checks API key secrets: `cc_` + 40 random base32 characters (200 bits).
public enum APIKeySecret {
    /// A new secret and the record to store for it.
    public static func generate(name: String, personId: PersonID? = nil) -> (secret: String, key: NewAPIKey) {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        let body = String((0..<40).map { _ in alphabet[Int.random(in: 0..<32, using: &generator)] })
        let secret = "cc_" + body
        return (secret, NewAPIKey(name: name, prefix: String(secret.prefix(9)), hash: hash(secret), personId: personId))
    }

    /// The hex SHA-256 of a secret; secrets are random, so a fast hash is enough.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
