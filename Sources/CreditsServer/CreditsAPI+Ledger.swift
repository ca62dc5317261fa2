import CreditsCore
import CreditsStore
import Foundation
import Hummingbird

/// Workspace routes over the ledger: balance, entries, holds. Everything is scoped to the key's
/// workspace; another workspace's wallets and attempts simply do not exist for it (404).
extension CreditsAPI {
    /// `GET /v1/balance?walletId=`: the wallet's balance (default: the pool) with its runway.
    func balance(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let walletId = try await scopedWallet(request.uri.queryParameters.get("walletId"), key)
        return try JSONResponse.make(try await runwayView(key.workspaceId, walletId))
    }

    /// `GET /v1/entries?walletId=&attemptId=&limit=&cursor=`: entries newest first, a page at a time.
    func entries(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var limit = Limits.pageSizeDefault
        if let text = query.get("limit") {
            guard let value = Int(text) else { throw APIError.badRequest("limit must be an integer") }
            limit = value
        }
        let walletFilter = try scopedFilter(query.get("walletId"), key)
        if let walletId = walletFilter {
            // Another workspace's wallet is unknown here, as on every other route (not an empty page).
            let wallets = try await store.wallets(workspaceId: key.workspaceId)
            guard wallets.contains(where: { $0.id == walletId }) else {
                throw LedgerRefusal(.walletNotFound, "no wallet \(walletId) in this workspace")
            }
        }
        let entryQuery = EntryQuery(
            workspaceId: key.workspaceId, walletId: walletFilter, attemptId: query.get("attemptId"),
            limit: limit, before: query.get("cursor"))
        try entryQuery.validate()
        return try JSONResponse.make(try await store.entries(entryQuery))
    }

    /// `POST /v1/holds`: reserves one credit for an attempt. 201 new, 200 replay (same attempt, same wallet).
    func createHold(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let body = try await decodeBody(HoldBody.self, from: request)
        let walletId = try await scopedWallet(body.walletId, key)
        let command = HoldCommand(
            workspaceId: key.workspaceId, walletId: walletId, attemptId: body.attemptId,
            timeoutSeconds: body.timeoutSeconds ?? Limits.holdTimeoutSecondsDefault)
        let result = try await store.hold(command)
        walletWatch.mark(workspaceId: key.workspaceId, walletId: result.hold.walletId)
        metrics.recordOperation("hold", replayed: result.replayed)
        return try holdResponse(result, created: !result.replayed)
    }

    /// `GET /v1/holds/{attemptId}`: the attempt's hold.
    func getHold(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let attemptId = try parameter("attemptId", context)
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        return try JSONResponse.make(try await visibleHold(key, attemptId))
    }

    /// `POST /v1/holds/{attemptId}/capture`: charges the held credit (the call connected). Idempotent.
    func captureHold(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let attemptId = try parameter("attemptId", context)
        if !key.isOwner { _ = try await visibleHold(key, attemptId) }
        let result = try await store.capture(workspaceId: key.workspaceId, attemptId: attemptId)
        walletWatch.mark(workspaceId: key.workspaceId, walletId: result.hold.walletId)
        metrics.recordOperation("capture", replayed: result.replayed)
        return try holdResponse(result, created: false)
    }

    /// `POST /v1/holds/{attemptId}/release` with an optional `{reason}`: refunds the held credit. Idempotent.
    func releaseHold(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let attemptId = try parameter("attemptId", context)
        let body = try await decodeOptionalBody(ReleaseBody.self, from: request)
        let reason = try releaseReason(body?.reason)
        if !key.isOwner { _ = try await visibleHold(key, attemptId) }
        let result = try await store.release(workspaceId: key.workspaceId, attemptId: attemptId, reason: reason)
        walletWatch.mark(workspaceId: key.workspaceId, walletId: result.hold.walletId)
        metrics.recordOperation("release", replayed: result.replayed)
        return try holdResponse(result, created: false)
    }

    /// The reasons a client may give; `timeout` belongs to the sweeper.
    private func releaseReason(_ text: String?) throws(LedgerRefusal) -> ReleaseReason {
        guard let text else { return .released }
        switch ReleaseReason(rawValue: text) {
        case .failed?: return .failed
        case .cancelled?: return .cancelled
        case .released?: return .released
        case .timeout?, nil: throw LedgerRefusal.invalid("reason must be one of failed, cancelled, released")
        }
    }

    /// The hold as the body; a replay is marked with `Idempotent-Replayed: true`.
    private func holdResponse(_ result: HoldResult, created: Bool) throws -> Response {
        let headers: HTTPFields = result.replayed ? [.idempotentReplayed: "true"] : [:]
        return try JSONResponse.make(result.hold, status: created ? .created : .ok, headers: headers)
    }

    /// The attempt's hold, if the principal may see its wallet; else `unknown_attempt`, as in another workspace.
    func visibleHold(_ key: Principal, _ attemptId: AttemptID) async throws -> Hold {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        guard let hold = try await store.hold(workspaceId: key.workspaceId, attemptId: attemptId),
            key.mayUse(walletId: hold.walletId)
        else { throw LedgerRefusal(.unknownAttempt, "no hold for attempt \(attemptId)") }
        return hold
    }
}
