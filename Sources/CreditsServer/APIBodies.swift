import CreditsCore
import CreditsStore
import Foundation

// Request and response bodies of the API. Ledger values (Balance, Hold, Lot, LedgerEntry, Workspace,
// Wallet) are returned as they are; these types add what the HTTP layer shows or reads on top.

/// `POST /v1/workspaces` body.
struct CreateWorkspaceBody: Decodable {
    var name: String
    var timeZone: String
    /// The owner's email address (optional).
    var ownerEmail: String?
}

/// An API key as shown to its workspace: never the hash; the secret only in the response that creates it.
struct APIKeyView: Codable, Equatable {
    var id: String
    var name: String
    var prefix: String
    var createdAt: Date
    var revokedAt: Date?
    /// The person the key belongs to, and the role it acts with.
    var personId: PersonID
    var role: Role
    /// Present only when the key has just been created.
    var secret: String?

    init(_ key: APIKey, secret: String? = nil) {
        self.id = key.id
        self.personId = key.personId
        self.role = key.role
        self.name = key.name
        self.prefix = key.prefix
        self.createdAt = key.createdAt
        self.revokedAt = key.revokedAt
        self.secret = secret
    }
}

/// `POST /v1/workspaces` response.
struct CreatedWorkspaceView: Codable {
    var workspace: Workspace
    var poolWalletId: WalletID
    var apiKey: APIKeyView
    /// The workspace's owner, to whom the first key belongs.
    var owner: Person
}

/// `GET /v1/workspaces/{workspaceId}` response.
struct WorkspaceView: Codable {
    var workspace: Workspace
    var wallets: [Wallet]
}

/// `POST /v1/workspaces/{workspaceId}/credits` body.
struct CreditBody: Decodable {
    var walletId: WalletID?
    var amount: Credits
    /// Read as text so an unknown source is a 422 (a value out of its set), not a 400.
    var source: String?
    var effectiveAt: Date?
    var expiresAt: Date?
    var reason: String
    var reference: String?
}

/// `POST /v1/workspaces/{workspaceId}/credits` response: the same body for the first request and every replay.
struct CreditView: Codable, Equatable {
    var lot: Lot?
    var entries: [LedgerEntry]
}

/// `POST /v1/holds` body.
struct HoldBody: Decodable {
    var attemptId: AttemptID
    var walletId: WalletID?
    var timeoutSeconds: Int?
}

/// `POST /v1/holds/{attemptId}/release` body (optional).
struct ReleaseBody: Decodable {
    var reason: String?
}

/// `GET /v1/api-keys` response.
struct APIKeyList: Codable {
    var apiKeys: [APIKeyView]
}

/// `POST /v1/api-keys` body.
struct CreateAPIKeyBody: Decodable {
    var name: String
}

/// `GET /health` response.
struct HealthView: Codable {
    var status: String
}
