import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// Emits once per key: two processes emitting the same key at once collide on `notification_events_key`;
    /// the loser's transaction is retried and finds the winner's event.
    public func emit(_ notification: NewNotification) async throws -> EmitResult {
        try notification.validate()
        return try await transaction("emit") { connection in
            try await emit(notification, now: now(), on: connection)
        }
    }

    /// Emits inside a transaction that is already open, so a caller in this module can enqueue an event
    /// atomically with its own writes (in the same workspace).
    func emit(_ notification: NewNotification, now: Date, on connection: PostgresConnection) async throws
        -> EmitResult
    {
        let workspaceId = notification.workspaceId
        guard try await workspaceExists(workspaceId, on: connection) else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        if let existing = try await rows(
            """
            SELECT \(unescaped: NotificationColumns.event) FROM notification_events
            WHERE workspace_id = \(workspaceId) AND key = \(notification.key)
            """, on: connection
        ).first {
            return EmitResult(event: try NotificationEvent(row: existing), created: false, deliveries: 0)
        }
        let event = try notification.event(id: ids.next(.notification), now: now)
        try await execute(
            """
            INSERT INTO notification_events (\(unescaped: NotificationColumns.event))
            VALUES (\(workspaceId), \(event.id), \(event.type.rawValue), \(event.key), \(event.payload), \
            \(event.occurredAt.millis), \(now.millis))
            """, on: connection)
        let endpoints = try await rows(
            """
            SELECT \(unescaped: NotificationColumns.endpoint) FROM webhook_endpoints
            WHERE workspace_id = \(workspaceId) AND deleted_at_ms IS NULL AND enabled ORDER BY id
            """, on: connection
        ).map(WebhookEndpoint.init(row:)).filter { $0.subscribes(to: event.type) }
        for endpoint in endpoints {
            try await execute(
                """
                INSERT INTO webhook_deliveries (workspace_id, id, event_id, event_type, endpoint_id, status, attempts,
                    next_attempt_at_ms, created_at_ms)
                VALUES (\(workspaceId), \(ids.next(.delivery)), \(event.id), \(event.type.rawValue), \(endpoint.id), \
                'pending', 0, \(now.millis), \(now.millis))
                """, on: connection)
        }
        return EmitResult(event: event, created: true, deliveries: endpoints.count)
    }

    /// Finds due deliveries across workspaces without locks, then claims each workspace's share in its own
    /// transaction with `FOR UPDATE SKIP LOCKED`, re-checking that each is still due and unclaimed. Two
    /// senders never claim one delivery at once: the second either skips the locked row or, once the first
    /// committed, sees its lease and passes it by. Each sender reads four times `limit` candidates and
    /// tries them in a random order, so two senders mostly reach for different rows instead of both
    /// fighting over the head of the queue.
    public func claimDueDeliveries(limit: Int, leaseSeconds: Double) async throws -> [DeliveryClaim] {
        guard limit > 0 else { return [] }
        let now = now()
        let until = Date(millis: now.addingTimeInterval(leaseSeconds).millis)
        let due = try await read("claimDueDeliveries") { connection in
            try await rows(
                """
                SELECT workspace_id, id FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at_ms <= \(now.millis)
                  AND (claimed_until_ms IS NULL OR claimed_until_ms <= \(now.millis))
                ORDER BY next_attempt_at_ms LIMIT \(limit * 4)
                """, on: connection
            ).map { try $0.decode((String, String).self) }
        }
        var claims: [DeliveryClaim] = []
        for (workspaceId, deliveryIds) in Self.groupedByWorkspace(due.shuffled()) {
            let wanted = limit - claims.count
            guard wanted > 0 else { break }
            claims += try await transaction("claimDueDeliveries") { connection in
                let found = try await rows(
                    """
                    SELECT \(unescaped: NotificationColumns.delivery("d")), e.url, e.secret, ev.payload
                    FROM webhook_deliveries d
                    JOIN webhook_endpoints e ON e.workspace_id = d.workspace_id AND e.id = d.endpoint_id
                    JOIN notification_events ev ON ev.workspace_id = d.workspace_id AND ev.id = d.event_id
                    WHERE d.workspace_id = \(workspaceId) AND d.id = ANY(\(deliveryIds))
                      AND d.status = 'pending' AND d.next_attempt_at_ms <= \(now.millis)
                      AND (d.claimed_until_ms IS NULL OR d.claimed_until_ms <= \(now.millis))
                      AND e.enabled AND e.deleted_at_ms IS NULL
                    ORDER BY d.next_attempt_at_ms, d.id LIMIT \(wanted) FOR UPDATE OF d SKIP LOCKED
                    """, on: connection)
                var claimed: [DeliveryClaim] = []
                for row in found {
                    let cells = row.makeRandomAccess()
                    let delivery = try WebhookDelivery(cells: cells)
                    let base = NotificationColumns.deliveryCount
                    let token = ids.next(.delivery)
                    try await execute(
                        """
                        UPDATE webhook_deliveries SET claim_token = \(token), claimed_until_ms = \(until.millis)
                        WHERE workspace_id = \(workspaceId) AND id = \(delivery.id)
                        """, on: connection)
                    claimed.append(
                        DeliveryClaim(
                            delivery: delivery, url: try cells[base].decode(String.self),
                            secret: try cells[base + 1].decode(String.self),
                            payload: try cells[base + 2].decode(String.self), token: token, claimedUntil: until))
                }
                return claimed
            }
        }
        return claims
    }

    /// Records an attempt only while the claim is still this sender's (its token on the row, locked).
    public func recordDeliveryAttempt(_ attempt: DeliveryAttempt) async throws -> WebhookDelivery? {
        try await transaction("recordDeliveryAttempt") { connection in
            guard
                let row = try await rows(
                    """
                    SELECT \(unescaped: NotificationColumns.delivery("d")) FROM webhook_deliveries d
                    WHERE d.workspace_id = \(attempt.workspaceId) AND d.id = \(attempt.deliveryId)
                      AND d.status = 'pending' AND d.claim_token = \(attempt.token)
                    FOR UPDATE
                    """, on: connection
                ).first
            else { return nil }
            var delivery = try WebhookDelivery(cells: row.makeRandomAccess())
            delivery.record(attempt)
            let statusCode = delivery.lastStatusCode.map(Int32.init)
            try await execute(
                """
                UPDATE webhook_deliveries SET status = \(delivery.status.rawValue), \
                attempts = \(Int32(delivery.attempts)), next_attempt_at_ms = \(delivery.nextAttemptAt?.millis), \
                last_attempt_at_ms = \(delivery.lastAttemptAt?.millis), last_status_code = \(statusCode), \
                last_error = \(delivery.lastError), delivered_at_ms = \(delivery.deliveredAt?.millis), \
                claim_token = NULL, claimed_until_ms = NULL
                WHERE workspace_id = \(delivery.workspaceId) AND id = \(delivery.id)
                """, on: connection)
            if attempt.decision == .endpointGone {
                try await execute(
                    """
                    UPDATE webhook_endpoints SET enabled = false, updated_at_ms = \(attempt.attemptedAt.millis)
                    WHERE workspace_id = \(delivery.workspaceId) AND id = \(delivery.endpointId)
                    """, on: connection)
            }
            return delivery
        }
    }

    // MARK: Wallet alerts

    /// Pages through the wallet's entries newest first (the `entries_by_wallet` index) and stops at the
    /// first one older than the window less a minute, as the SQLite store does.
    public func spendingWindow(
        workspaceId: WorkspaceID, walletId: WalletID, since: Date
    ) async throws -> SpendingWindow {
        let sinceMs = since.millis
        let stopMs = sinceMs - 60_000
        let pageSize = 500
        return try await read("spendingWindow") { connection in
            var charged = Credits.zero
            var first: Int64?
            var cursor: String?
            var read = 0
            scan: while read < Limits.spendingWindowEntriesMax {
                let page = try await rows(
                    """
                    SELECT id, kind, amount, created_at_ms FROM entries
                    WHERE workspace_id = \(workspaceId) AND wallet_id = \(walletId)
                      AND (\(cursor)::text IS NULL OR id < \(cursor))
                    ORDER BY id DESC LIMIT \(pageSize)
                    """, on: connection
                ).map { try $0.decode((String, String, Int64, Int64).self) }
                for (_, kind, amount, createdAt) in page {
                    if createdAt < stopMs { break scan }
                    guard createdAt >= sinceMs, kind == "hold" || kind == "capture" else { continue }
                    if kind == "capture" { charged += Credits(amount) }
                    first = min(first ?? createdAt, createdAt)
                }
                read += page.count
                guard page.count == pageSize, let last = page.last else { break }
                cursor = last.0
            }
            return SpendingWindow(since: since, charged: charged, firstActivityAt: first.map(Date.init(millis:)))
        }
    }

    public func walletsWithOpenHolds(limit: Int) async throws -> [WalletRef] {
        try await read("walletsWithOpenHolds") { connection in
            try await rows(
                "SELECT DISTINCT workspace_id, wallet_id FROM holds WHERE state = 'held' LIMIT \(max(limit, 0))",
                on: connection
            ).map {
                let (workspaceId, walletId) = try $0.decode((String, String).self)
                return WalletRef(workspaceId: workspaceId, walletId: walletId)
            }
        }
    }

    /// Reads the balance and window without locks, then locks the wallet's alert rows: evaluators of one
    /// wallet take turns there, and the second sees the first one's states, so a crossing notifies once.
    public func evaluateWalletAlerts(workspaceId: WorkspaceID, walletId: WalletID) async throws -> [EmitResult] {
        let now = now()
        let balance = try await balance(workspaceId: workspaceId, walletId: walletId)
        let window = try await spendingWindow(
            workspaceId: workspaceId, walletId: walletId, since: now.addingTimeInterval(-Runway.windowSeconds))
        let observation = WalletObservation(workspaceId: workspaceId, balance: balance, window: window)
        // Most passes change nothing: decide on unlocked rows first and lock only when something would change.
        let unchanged = try await read("evaluateWalletAlerts") { connection in
            let (changed, events) = WalletAlerts.evaluate(
                observation, settings: try await settings(workspaceId, on: connection),
                states: try await alertStates(workspaceId, walletId, locking: false, on: connection), now: now)
            return changed.isEmpty && events.isEmpty
        }
        if unchanged { return [] }
        return try await transaction("evaluateWalletAlerts") { connection in
            var states = try await lockAlerts(workspaceId, walletId, on: connection)
            if states.count < WalletAlertKind.allCases.count {
                for kind in WalletAlertKind.allCases where !states.contains(where: { $0.kind == kind }) {
                    try await execute(
                        """
                        INSERT INTO wallet_alerts (workspace_id, wallet_id, kind, crossings)
                        VALUES (\(workspaceId), \(walletId), \(kind.rawValue), 0) ON CONFLICT DO NOTHING
                        """, on: connection)
                }
                states = try await lockAlerts(workspaceId, walletId, on: connection)
            }
            let settings = try await settings(workspaceId, on: connection)
            let (changed, events) = WalletAlerts.evaluate(observation, settings: settings, states: states, now: now)
            var results: [EmitResult] = []
            for event in events { results.append(try await emit(event, now: now, on: connection)) }
            for state in changed {
                try await execute(
                    """
                    UPDATE wallet_alerts SET crossings = \(Int32(state.crossings)), fired_at_ms = \(state.firedAt?.millis)
                    WHERE workspace_id = \(workspaceId) AND wallet_id = \(walletId) AND kind = \(state.kind.rawValue)
                    """, on: connection)
            }
            return results
        }
    }

    private func lockAlerts(
        _ workspaceId: WorkspaceID, _ walletId: WalletID, on connection: PostgresConnection
    ) async throws -> [WalletAlertState] {
        try await alertStates(workspaceId, walletId, locking: true, on: connection)
    }

    private func alertStates(
        _ workspaceId: WorkspaceID, _ walletId: WalletID, locking: Bool, on connection: PostgresConnection
    ) async throws -> [WalletAlertState] {
        try await rows(
            """
            SELECT kind, crossings, fired_at_ms FROM wallet_alerts
            WHERE workspace_id = \(workspaceId) AND wallet_id = \(walletId) ORDER BY kind
            \(unescaped: locking ? "FOR UPDATE" : "")
            """, on: connection
        ).map { row in
            let (kind, crossings, firedAt) = try row.decode((String, Int32, Int64?).self)
            return WalletAlertState(
                kind: try decodeEnum(kind, as: WalletAlertKind.self), crossings: Int(crossings),
                firedAt: firedAt.map(Date.init(millis:)))
        }
    }
}
