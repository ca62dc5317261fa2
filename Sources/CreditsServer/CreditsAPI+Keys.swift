import CreditsCore
import CreditsStore
import Foundation
import Hummingbird

/// Workspace routes over API keys: list, create (secret shown once), revoke.
extension CreditsAPI {
    /// `GET /v1/api-keys`: the workspace's keys, revoked ones included, without secrets.
    func listKeys(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        // A member sees only their own keys; the owner sees every key of the workspace.
        let keys = try await store.apiKeys(workspaceId: key.workspaceId).filter {
            key.isOwner || $0.personId == key.personId
        }
        return try JSONResponse.make(APIKeyList(apiKeys: keys.map { APIKeyView($0) }))
    }

    /// `POST /v1/api-keys` `{name}`: a new key; the response is the only place its secret appears.
    func createKey(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let body = try await decodeBody(CreateAPIKeyBody.self, from: request)
        guard !body.name.isEmpty, body.name.count <= Limits.nameLengthMax else {
            throw LedgerRefusal.invalid("name must be 1 to \(Limits.nameLengthMax) characters")
        }
        // The new key belongs to the caller's person and acts with their role.
        let (secret, newKey) = APIKeySecret.generate(name: body.name, personId: key.personId)
        let stored = try await store.createAPIKey(workspaceId: key.workspaceId, newKey)
        context.logger.info("api key created", metadata: ["key": "\(stored.id)", "by": "\(key.actor)"])
        return try JSONResponse.make(APIKeyView(stored, secret: secret), status: .created)
    }

    /// `DELETE /v1/api-keys/{keyId}`: revokes a key of the caller's workspace (a key may revoke itself).
    func revokeKey(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let keyId = try parameter("keyId", context)
        if !key.isOwner {
            // A member may revoke only their own keys; anyone else's is unknown to them.
            let own = try await store.apiKeys(workspaceId: key.workspaceId).contains {
                $0.id == keyId && $0.personId == key.personId
            }
            guard own else { throw APIError(.notFound, .apiKeyNotFound, "no API key \(keyId) in this workspace") }
        }
        guard let revoked = try await store.revokeAPIKey(workspaceId: key.workspaceId, keyId: keyId) else {
            throw APIError(.notFound, .apiKeyNotFound, "no API key \(keyId) in this workspace")
        }
        context.logger.info("api key revoked", metadata: ["key": "\(revoked.id)", "by": "\(key.actor)"])
        return try JSONResponse.make(APIKeyView(revoked))
    }
}
