import CreditsCore
import CreditsStore
import Foundation
import GRDB

extension SQLiteStore: NotificationStore {
    public func createWebhookEndpoint(_ new: NewWebhookEndpoint) async throws -> WebhookEndpoint {
        try new.validate()
        let now = clockSource.now()
        let endpoint = WebhookEndpoint(
            id: idSource.next(.webhookEndpoint), workspaceId: new.workspaceId, url: new.url,
            description: new.description, eventTypes: new.eventTypes, enabled: true, secret: new.secret,
            createdAt: now, updatedAt: now)
        try await groupWriter.write { db in
            guard
                try db.firstRow("SELECT 1 FROM workspaces WHERE id = ?", [.text(new.workspaceId)], { _ in true }) != nil
            else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
            let count =
                try db.firstRow(
                    "SELECT count(*) FROM webhook_endpoints WHERE workspace_id = ? AND deleted_at IS NULL",
                    [.text(new.workspaceId)]
                ) { $0.integer(0) } ?? 0
            guard count < Limits.webhookEndpointsMax else {
                throw LedgerRefusal.invalid("a workspace has at most \(Limits.webhookEndpointsMax) webhook endpoints")
            }
            try db.execute(
                sql: """
                    INSERT INTO webhook_endpoints
                        (id, workspace_id, url, description, event_types, enabled, secret, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)
                    """,
                arguments: [
                    endpoint.id, endpoint.workspaceId, endpoint.url, endpoint.description,
                    EventTypeList.encode(endpoint.eventTypes), endpoint.secret, now.millisecondsSince1970,
                    now.millisecondsSince1970,
                ])
        }
        return endpoint
    }

    public func webhookEndpoints(workspaceId: WorkspaceID) async throws -> [WebhookEndpoint] {
        try await readPool.read { db in
            try db.rows(
                """
                SELECT \(NotificationRows.endpointColumns) FROM webhook_endpoints
                WHERE workspace_id = ? AND deleted_at IS NULL ORDER BY id
                """, [.text(workspaceId)], NotificationRows.endpoint)
        }
    }

    public func webhookEndpoint(workspaceId: WorkspaceID, id: WebhookEndpointID) async throws -> WebhookEndpoint? {
        try await readPool.read { db in try NotificationRows.endpoint(db, workspaceId, id) }
    }

    public func updateWebhookEndpoint(
        workspaceId: WorkspaceID, id: WebhookEndpointID, _ update: WebhookEndpointUpdate
    ) async throws -> WebhookEndpoint? {
        try update.validate()
        let now = clockSource.now()
        return try await groupWriter.write { db in
            guard let endpoint = try NotificationRows.endpoint(db, workspaceId, id) else { return nil }
            let updated = update.applied(to: endpoint, now: now)
            try db.execute(
                sql: """
                    UPDATE webhook_endpoints SET url = ?, description = ?, event_types = ?, enabled = ?, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [
                    updated.url, updated.description, EventTypeList.encode(updated.eventTypes), updated.enabled,
                    now.millisecondsSince1970, id,
                ])
            return updated
        }
    }

    public func deleteWebhookEndpoint(workspaceId: WorkspaceID, id: WebhookEndpointID) async throws -> WebhookEndpoint?
    {
        let now = clockSource.now()
        return try await groupWriter.write { db in
            guard let endpoint = try NotificationRows.endpoint(db, workspaceId, id) else { return nil }
            try db.execute(
                sql: "UPDATE webhook_endpoints SET deleted_at = ?, enabled = 0, updated_at = ? WHERE id = ?",
                arguments: [now.millisecondsSince1970, now.millisecondsSince1970, id])
            try db.execute(
                sql: """
                    UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
                        last_error = 'endpoint deleted', claim_token = NULL, claimed_until = NULL
                    WHERE endpoint_id = ? AND status = 'pending'
                    """, arguments: [id])
            return endpoint
        }
    }

    public func notificationSettings(workspaceId: WorkspaceID) async throws -> NotificationSettings {
        try await readPool.read { db in try NotificationRows.settings(db, workspaceId) }
    }

    public func setNotificationSettings(
        workspaceId: WorkspaceID, _ settings: NotificationSettings
    ) async throws -> NotificationSettings {
        try settings.validate()
        let now = clockSource.now()
        try await groupWriter.write { db in
            guard try db.firstRow("SELECT 1 FROM workspaces WHERE id = ?", [.text(workspaceId)], { _ in true }) != nil
            else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
            try db.execute(
                sql: """
                    INSERT INTO notification_settings (workspace_id, low_balance_credits, runway_minutes, updated_at)
                    VALUES (?, ?, ?, ?)
                    ON CONFLICT (workspace_id) DO UPDATE SET low_balance_credits = excluded.low_balance_credits,
                        runway_minutes = excluded.runway_minutes, updated_at = excluded.updated_at
                    """,
                arguments: [
                    workspaceId, settings.lowBalanceCredits?.count, settings.runwayMinutes, now.millisecondsSince1970,
                ])
        }
        return settings
    }

    // MARK: Outbox

    public func emit(_ notification: NewNotification) async throws -> EmitResult {
        try notification.validate()
        let (clock, ids) = (clockSource, idSource)
        return try await groupWriter.write { db in
            try Self.emit(notification, db: db, now: clock.now(), ids: ids)
        }
    }

    /// Emits inside a write transaction that is already open, so a caller in this module can enqueue an
    /// event atomically with its own writes. Refusals are thrown before anything is written.
    ///
    /// Every cycle reset emits one event, so this runs 100,000 times in `bench reset`: the statements are prepared
    /// once (`cachedStatement`) and bound and stepped through SQLite's C API (`RawStatement`), and the endpoint read
    /// loads only what the filter needs (docs/performance.md).
    static func emit(_ notification: NewNotification, db: Database, now: Date, ids: any IDSource) throws -> EmitResult {
        guard try db.firstRow(workspaceExistsSQL, [.text(notification.workspaceId)], { _ in true }) != nil
        else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        if let existing = try db.firstRow(
            eventByKeySQL, [.text(notification.workspaceId), .text(notification.key)], NotificationRows.event)
        {
            return EmitResult(event: existing, created: false, deliveries: 0)
        }
        let event = try notification.event(id: ids.next(.notification), now: now)
        try RawStatement.execute(
            db.cachedStatement(sql: insertEventSQL),
            [
                .text(event.id), .text(event.workspaceId), .text(event.type.rawValue), .text(event.key),
                .text(event.payload), .integer(event.occurredAt.millisecondsSince1970),
                .integer(now.millisecondsSince1970),
            ])
        let endpoints = try db.rows(endpointTypesSQL, [.text(event.workspaceId)]) { row in
            (id: row.text(0), eventTypes: EventTypeList.decode(row.text(1)))
        }.filter { $0.eventTypes.isEmpty || $0.eventTypes.contains(event.type) }
        for endpoint in endpoints {
            try RawStatement.execute(
                db.cachedStatement(sql: insertDeliverySQL),
                [
                    .text(ids.next(.delivery)), .text(event.workspaceId), .text(event.id), .text(event.type.rawValue),
                    .text(endpoint.id), .integer(now.millisecondsSince1970), .integer(now.millisecondsSince1970),
                ])
        }
        return EmitResult(event: event, created: true, deliveries: endpoints.count)
    }

    private static let workspaceExistsSQL = "SELECT 1 FROM workspaces WHERE id = ?"
    private static let eventByKeySQL =
        "SELECT \(NotificationRows.eventColumns) FROM notification_events WHERE workspace_id = ? AND key = ?"
    private static let insertEventSQL = """
        INSERT INTO notification_events (id, workspace_id, type, key, payload, occurred_at, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """
    /// The same filter `WebhookEndpoint.subscribes(to:)` applies, on the two columns it needs.
    private static let endpointTypesSQL = """
        SELECT id, event_types FROM webhook_endpoints
        WHERE workspace_id = ? AND deleted_at IS NULL AND enabled = 1 ORDER BY id
        """
    private static let insertDeliverySQL = """
        INSERT INTO webhook_deliveries
            (id, workspace_id, event_id, event_type, endpoint_id, status, attempts, next_attempt_at, created_at)
        VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)
        """

    public func notificationEvent(workspaceId: WorkspaceID, id: NotificationID) async throws -> NotificationEvent? {
        try await readPool.read { db in
            try db.firstRow(
                "SELECT \(NotificationRows.eventColumns) FROM notification_events WHERE workspace_id = ? AND id = ?",
                [.text(workspaceId), .text(id)], NotificationRows.event)
        }
    }

    /// One process owns an SQLite file, so claiming needs no row locks: the writer runs one claim at a time.
    public func claimDueDeliveries(limit: Int, leaseSeconds: Double) async throws -> [DeliveryClaim] {
        guard limit > 0 else { return [] }
        let (clock, ids) = (clockSource, idSource)
        return try await groupWriter.write { db in
            let now = clock.now()
            let until = now.addingTimeInterval(leaseSeconds)
            let due = try db.rows(
                """
                SELECT \(NotificationRows.deliveryColumns("d")), e.url, e.secret, ev.payload
                FROM webhook_deliveries d
                JOIN webhook_endpoints e ON e.id = d.endpoint_id
                JOIN notification_events ev ON ev.id = d.event_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= ?
                  AND (d.claimed_until IS NULL OR d.claimed_until <= ?)
                  AND e.enabled = 1 AND e.deleted_at IS NULL
                ORDER BY d.next_attempt_at, d.id LIMIT ?
                """,
                [.integer(now.millisecondsSince1970), .integer(now.millisecondsSince1970), .integer(Int64(limit))]
            ) { row in
                let next = row.shifted(by: NotificationRows.deliveryColumnCount)
                return (NotificationRows.delivery(row), next.text(0), next.text(1), next.text(2))
            }
            return try due.map { delivery, url, secret, payload in
                let token = ids.next(.delivery)
                try db.execute(
                    sql: "UPDATE webhook_deliveries SET claim_token = ?, claimed_until = ? WHERE id = ?",
                    arguments: [token, until.millisecondsSince1970, delivery.id])
                return DeliveryClaim(
                    delivery: delivery, url: url, secret: secret, payload: payload, token: token, claimedUntil: until)
            }
        }
    }

    public func recordDeliveryAttempt(_ attempt: DeliveryAttempt) async throws -> WebhookDelivery? {
        try await groupWriter.write { db in
            guard
                var delivery = try db.firstRow(
                    """
                    SELECT \(NotificationRows.deliveryColumns("d")) FROM webhook_deliveries d
                    WHERE d.id = ? AND d.workspace_id = ? AND d.status = 'pending' AND d.claim_token = ?
                    """, [.text(attempt.deliveryId), .text(attempt.workspaceId), .text(attempt.token)],
                    NotificationRows.delivery)
            else { return nil }
            delivery.record(attempt)
            try db.execute(
                sql: """
                    UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_attempt_at = ?,
                        last_status_code = ?, last_error = ?, delivered_at = ?, claim_token = NULL,
                        claimed_until = NULL
                    WHERE id = ?
                    """,
                arguments: [
                    delivery.status.rawValue, delivery.attempts, delivery.nextAttemptAt?.millisecondsSince1970,
                    delivery.lastAttemptAt?.millisecondsSince1970, delivery.lastStatusCode, delivery.lastError,
                    delivery.deliveredAt?.millisecondsSince1970, delivery.id,
                ])
            if attempt.decision == .endpointGone {
                try db.execute(
                    sql: "UPDATE webhook_endpoints SET enabled = 0, updated_at = ? WHERE id = ?",
                    arguments: [attempt.attemptedAt.millisecondsSince1970, delivery.endpointId])
            }
            return delivery
        }
    }

    public func deliveries(_ query: DeliveryQuery) async throws -> DeliveryPage {
        try query.validate()
        return try await readPool.read { db in
            var conditions = ["d.workspace_id = ?"]
            var values: [SQLValue] = [.text(query.workspaceId)]
            if let endpointId = query.endpointId {
                conditions.append("d.endpoint_id = ?")
                values.append(.text(endpointId))
            }
            if let eventId = query.eventId {
                conditions.append("d.event_id = ?")
                values.append(.text(eventId))
            }
            if let status = query.status {
                conditions.append("d.status = ?")
                values.append(.text(status.rawValue))
            }
            if let before = query.before {
                conditions.append("d.id < ?")
                values.append(.text(before))
            }
            values.append(.integer(Int64(query.limit + 1)))
            let sql = """
                SELECT \(NotificationRows.deliveryColumns("d")) FROM webhook_deliveries d
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY d.id DESC LIMIT ?
                """
            return DeliveryPage(fetched: try db.rows(sql, values, NotificationRows.delivery), limit: query.limit)
        }
    }
}
