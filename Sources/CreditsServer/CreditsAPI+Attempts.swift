import CreditsCore
import CreditsStore
import Foundation
import Hummingbird

/// Call attempts: record and dial one, read, list, apply outcome events, cancel. The attempt's status and
/// its ledger operation change together in the store (docs/calls.md).
extension CreditsAPI {
    /// `POST /v1/attempts`: records an attempt (DNC numbers at once as DNC) and, unless `dial` is false,
    /// starts dialing it; out of credits records it Cancelled (`reason: out_of_credits`). 201 new, 200 replay.
    func createAttempt(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        let body = try await decodeBody(CreateAttemptBody.self, from: request)
        let number = try e164(body.phoneNumber, field: "phoneNumber")
        let walletId = try await scopedWallet(body.walletId, key)
        let new = NewAttempt(
            id: body.attemptId, walletId: walletId, campaignId: body.campaignId, recipientId: body.recipientId,
            numberPosition: body.numberPosition, phoneNumber: number)
        guard let created = try await store.createAttempts(workspaceId: key.workspaceId, [new]).first else {
            preconditionFailure("one attempt in, one out")
        }
        var attempt = created.attempt
        if body.dial ?? true {
            let dialed = try await store.startDialing(
                DialCommand(
                    workspaceId: key.workspaceId, attemptId: attempt.id,
                    holdTimeoutSeconds: body.holdTimeoutSeconds ?? Limits.holdTimeoutSecondsDefault,
                    whenOutOfCredits: .cancel))
            attempt = dialed.attempt
        }
        metrics.recordOperation("attempt", replayed: created.replayed)
        let headers: HTTPFields = created.replayed ? [.idempotentReplayed: "true"] : [:]
        return try JSONResponse.make(attempt, status: created.replayed ? .ok : .created, headers: headers)
    }

    /// `GET /v1/attempts/{attemptId}`: the attempt and its events.
    func getAttempt(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let attemptId = try parameter("attemptId", context)
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        let attempt = try await visibleAttempt(key, attemptId)
        let events = try await store.attemptEvents(workspaceId: key.workspaceId, attemptId: attemptId)
        return try JSONResponse.make(AttemptDetailView(attempt: attempt, events: events))
    }

    /// `GET /v1/attempts?campaignId=&recipientId=&walletId=&status=&needsReconciliation=&limit=&cursor=`:
    /// attempts in id order, a page at a time. `status` may be a comma-separated list.
    func listAttempts(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var statuses = Set<AttemptStatus>()
        for text in (query.get("status") ?? "").split(separator: ",") {
            guard let status = AttemptStatus(rawValue: String(text)) else {
                throw LedgerRefusal.invalid(
                    "status must be among waiting, calling, answered, missed, failed, cancelled, dnc")
            }
            statuses.insert(status)
        }
        var needsReconciliation: Bool?
        if let text = query.get("needsReconciliation") {
            guard let flag = Bool(text) else { throw APIError.badRequest("needsReconciliation must be true or false") }
            needsReconciliation = flag
        }
        let walletFilter = try scopedFilter(query.get("walletId"), key)
        if let walletFilter, key.isOwner {
            // Another workspace's wallet is unknown here, as on the entries and usage routes (not an empty page).
            guard try await store.wallets(workspaceId: key.workspaceId).contains(where: { $0.id == walletFilter })
            else {
                throw LedgerRefusal(.walletNotFound, "no wallet \(walletFilter) in this workspace")
            }
        }
        let attemptQuery = AttemptQuery(
            workspaceId: key.workspaceId, campaignId: query.get("campaignId"), recipientId: query.get("recipientId"),
            walletId: walletFilter, statuses: statuses,
            needsReconciliation: needsReconciliation,
            limit: try pageLimit(query.get("limit")), after: query.get("cursor"))
        try attemptQuery.validate()
        return try JSONResponse.make(try await store.attempts(attemptQuery))
    }

    /// `POST /v1/attempts/{attemptId}/events`: one outcome event, idempotent by `eventId`.
    func attemptEvent(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let attemptId = try parameter("attemptId", context)
        let body = try await decodeBody(AttemptEventBody.self, from: request)
        if !key.isOwner { _ = try await visibleAttempt(key, attemptId) }
        let command = AttemptEventCommand(
            workspaceId: key.workspaceId, attemptId: attemptId, eventId: body.eventId, event: try body.event(),
            source: "api")
        try command.validate()
        let update = try await store.applyEvent(command)
        metrics.recordOperation("attempt_event", replayed: update.replayed)
        return try updateResponse(update)
    }

    /// `POST /v1/attempts/{attemptId}/cancel` with an optional `{reason}`: cancels an attempt that has not
    /// connected (its hold released). An attempt that already ended stays as it is.
    func cancelAttempt(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        let attemptId = try parameter("attemptId", context)
        let body = try await decodeOptionalBody(CancelAttemptBody.self, from: request)
        if !key.isOwner { _ = try await visibleAttempt(key, attemptId) }
        let update = try await store.cancelAttempt(
            workspaceId: key.workspaceId, attemptId: attemptId, reason: body?.reason)
        metrics.recordOperation("attempt_cancel", replayed: update.replayed)
        return try updateResponse(update)
    }

    /// The attempt, if the principal may see its wallet; else `unknown_attempt`, as in another workspace.
    func visibleAttempt(_ key: Principal, _ attemptId: AttemptID) async throws -> CallAttempt {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        guard let attempt = try await store.attempt(workspaceId: key.workspaceId, attemptId: attemptId),
            key.mayUse(walletId: attempt.walletId)
        else { throw LedgerRefusal(.unknownAttempt, "no attempt \(attemptId) in this workspace") }
        return attempt
    }

    /// What an event did; a replayed event id is marked with `Idempotent-Replayed: true`.
    func updateResponse(_ update: AttemptUpdate) throws -> Response {
        let headers: HTTPFields = update.replayed ? [.idempotentReplayed: "true"] : [:]
        return try JSONResponse.make(AttemptUpdateView(update), headers: headers)
    }

    /// A phone number in any common notation as E.164 (national numbers read as +1), or `invalid_request`.
    func e164(_ text: String, field: String) throws(LedgerRefusal) -> String {
        do {
            return try PhoneNumber(text).e164
        } catch {
            throw .invalid("\(field): \(error.message) (\(error.rawValue))")
        }
    }

    /// The `limit` query parameter: default `pageSizeDefault`, 400 when not a number.
    func pageLimit(_ text: String?) throws -> Int {
        guard let text else { return Limits.pageSizeDefault }
        guard let value = Int(text) else { throw APIError.badRequest("limit must be an integer") }
        return value
    }
}
