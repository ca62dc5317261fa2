import CreditsCore
import CreditsStore
import Foundation
import Hummingbird

/// Operator routes: create workspaces, look at them, grant and adjust credits. Customers cannot mint
/// credits, so grants live here and need the admin token.
extension CreditsAPI {
    /// `POST /v1/workspaces`: a workspace, its pool wallet and its first API key (secret shown once).
    func createWorkspace(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let body = try await decodeBody(CreateWorkspaceBody.self, from: request)
        let (secret, newKey) = APIKeySecret.generate(name: "default")
        let new = NewWorkspace(name: body.name, timeZone: body.timeZone, firstKey: newKey, ownerEmail: body.ownerEmail)
        try new.validate()
        let created = try await store.createWorkspace(new)
        context.logger.info("workspace created", metadata: ["workspace": "\(created.workspace.id)"])
        let view = CreatedWorkspaceView(
            workspace: created.workspace, poolWalletId: created.pool.id,
            apiKey: APIKeyView(created.key, secret: secret),
            owner: created.owner)
        return try JSONResponse.make(view, status: .created)
    }

    /// `GET /v1/workspaces/{workspaceId}`: the workspace and its wallets.
    func getWorkspace(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let workspaceId = try parameter("workspaceId", context)
        guard let workspace = try await store.workspace(id: workspaceId) else {
            throw LedgerRefusal(.workspaceNotFound, "no workspace \(workspaceId)")
        }
        let wallets = try await store.wallets(workspaceId: workspaceId)
        return try JSONResponse.make(WorkspaceView(workspace: workspace, wallets: wallets))
    }

    /// `POST /v1/workspaces/{workspaceId}/credits`: a grant (new lot) or a debit adjustment, idempotent
    /// on the required `Idempotency-Key` header. 201 the first time, 200 with the same body on a replay.
    func grantCredits(_ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let workspaceId = try parameter("workspaceId", context)
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            throw LedgerRefusal.invalid("the Idempotency-Key header is required")
        }
        let body = try await decodeBody(CreditBody.self, from: request)
        let source = try grantSource(body.source)
        guard try await store.workspace(id: workspaceId) != nil else {
            throw LedgerRefusal(.workspaceNotFound, "no workspace \(workspaceId)")
        }
        let walletId = try await walletOrPool(body.walletId, workspaceId)
        let command = CreditCommand(
            workspaceId: workspaceId, walletId: walletId, amount: body.amount, source: source,
            effectiveAt: body.effectiveAt, expiresAt: body.expiresAt, reason: body.reason, reference: body.reference,
            idempotencyKey: key)
        let result = try await store.credit(command)
        walletWatch.mark(workspaceId: workspaceId, walletId: walletId)
        metrics.recordOperation("credit", replayed: result.replayed)
        if !result.replayed {
            context.logger.info(
                "credits changed",
                metadata: ["wallet": "\(walletId)", "amount": "\(body.amount)", "source": "\(source.rawValue)"])
        }
        let view = CreditView(lot: result.lot, entries: result.entries)
        if result.replayed {
            return try JSONResponse.make(view, status: .ok, headers: [.idempotentReplayed: "true"])
        }
        return try JSONResponse.make(view, status: .created)
    }

    /// The lot source a grant may name; transfers move credits between wallets and are not grants.
    private func grantSource(_ text: String?) throws(LedgerRefusal) -> LotSource {
        guard let text else { return .adjustment }
        switch LotSource(rawValue: text) {
        case .adjustment?: return .adjustment
        case .planAllotment?: return .planAllotment
        case .purchase?: return .purchase
        case .transfer?, nil:
            throw LedgerRefusal.invalid("source must be one of adjustment, plan_allotment, purchase")
        }
    }
}
