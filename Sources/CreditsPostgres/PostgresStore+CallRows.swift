import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

/// Column lists of the call tables, in the order the decoders below read them.
enum CallColumns {
    static let attempt = """
        workspace_id, id, wallet_id, campaign_id, recipient_id, number_position, phone_number, status, outcome, \
        charge, connected_party, needs_reconciliation, credits_charged, uncollected, reason, created_at_ms, \
        dialed_at_ms, connected_at_ms, ended_at_ms, updated_at_ms
        """
    static let event = "event_id, attempt_id, event, source, disposition, ledger_action, received_at_ms"
}

extension CallAttempt {
    init(row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        func text(_ index: Int) throws -> String { try cells[index].decode(String.self) }
        func optionalText(_ index: Int) throws -> String? { try cells[index].decode(String?.self) }
        func millis(_ index: Int) throws -> Date? { try cells[index].decode(Int64?.self).map(Date.init(millis:)) }
        self.init(
            id: try text(1), workspaceId: try text(0), walletId: try text(2), campaignId: try optionalText(3),
            recipientId: try optionalText(4), numberPosition: try cells[5].decode(Int32?.self).map { Int($0) },
            phoneNumber: try text(6), status: try decodeEnum(try text(7), as: AttemptStatus.self),
            outcome: try optionalText(8).map { raw throws(PostgresStoreError) in
                try decodeEnum(raw, as: CallOutcome.self)
            },
            charge: try decodeEnum(try text(9), as: AttemptCharge.self),
            connectedParty: try optionalText(10).map { raw throws(PostgresStoreError) in
                try decodeEnum(raw, as: ConnectedParty.self)
            },
            needsReconciliation: try cells[11].decode(Bool.self),
            creditsCharged: Credits(try cells[12].decode(Int64.self)), uncollected: try cells[13].decode(Bool.self),
            reason: try optionalText(14), createdAt: Date(millis: try cells[15].decode(Int64.self)),
            dialedAt: try millis(16), connectedAt: try millis(17), endedAt: try millis(18),
            updatedAt: Date(millis: try cells[19].decode(Int64.self)))
    }
}

extension AttemptEventRecord {
    init(row: PostgresRow) throws {
        let (eventId, attemptId, event, source, disposition, action, receivedAt) = try row.decode(
            (String, String, String, String, String, String, Int64).self)
        self.init(
            eventId: eventId, attemptId: attemptId, event: event, source: source,
            disposition: try decodeEnum(disposition, as: AttemptEventDisposition.self),
            ledgerAction: try decodeEnum(action, as: AttemptLedgerAction.self), receivedAt: Date(millis: receivedAt))
    }
}

extension PostgresStore {
    /// The attempt, locked for the rest of the transaction when `locking`.
    func attempt(
        _ workspaceId: WorkspaceID, _ attemptId: AttemptID, locking: Bool, on connection: PostgresConnection
    ) async throws -> CallAttempt? {
        try await rows(
            """
            SELECT \(unescaped: CallColumns.attempt) FROM call_attempts
            WHERE workspace_id = \(workspaceId) AND id = \(attemptId)
            \(unescaped: locking ? "FOR NO KEY UPDATE" : "")
            """, on: connection
        ).first.map(CallAttempt.init(row:))
    }

    /// The attempt, locked: the lock every operation on one attempt takes first (attempt → hold → wallet
    /// → lots), so events for one attempt take turns.
    func lockAttempt(
        _ workspaceId: WorkspaceID, _ attemptId: AttemptID, on connection: PostgresConnection
    ) async throws -> CallAttempt {
        if let found = try await attempt(workspaceId, attemptId, locking: true, on: connection) { return found }
        _ = try await zone(workspaceId, on: connection)
        throw LedgerRefusal(.unknownAttempt, "no attempt \(attemptId) in this workspace")
    }

    /// The workspace's time zone, in which usage days are counted.
    func zone(_ workspaceId: WorkspaceID, on connection: PostgresConnection) async throws -> TimeZone {
        guard
            let row = try await rows(
                "SELECT time_zone FROM workspaces WHERE workspace_id = \(workspaceId)", on: connection
            ).first
        else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        return TimeZone(identifier: try row.decode(String.self)) ?? .gmt
    }

    func isDoNotCall(_ workspaceId: WorkspaceID, _ number: String, on connection: PostgresConnection) async throws
        -> Bool
    {
        try await !rows(
            "SELECT 1 FROM dnc_numbers WHERE workspace_id = \(workspaceId) AND phone_number = \(number)",
            on: connection
        ).isEmpty
    }

    func eventRecord(
        _ workspaceId: WorkspaceID, _ eventId: String, on connection: PostgresConnection
    ) async throws -> AttemptEventRecord? {
        try await rows(
            """
            SELECT \(unescaped: CallColumns.event) FROM attempt_events
            WHERE workspace_id = \(workspaceId) AND event_id = \(eventId)
            """, on: connection
        ).first.map(AttemptEventRecord.init(row:))
    }

    // MARK: Writes

    /// Inserts a new attempt row. Two processes creating the same attempt: the loser fails on
    /// `call_attempts_pkey`, retries, and replays the winner's row.
    func insert(_ attempt: CallAttempt, on connection: PostgresConnection) async throws {
        let position = attempt.numberPosition.map { Int32($0) }
        try await execute(
            """
            INSERT INTO call_attempts (\(unescaped: CallColumns.attempt)) VALUES (\(attempt.workspaceId), \
            \(attempt.id), \(attempt.walletId), \(attempt.campaignId), \(attempt.recipientId), \(position), \
            \(attempt.phoneNumber), \(attempt.status.rawValue), \(attempt.outcome?.rawValue), \
            \(attempt.charge.rawValue), \(attempt.connectedParty?.rawValue), \(attempt.needsReconciliation), \
            \(attempt.creditsCharged.count), \(attempt.uncollected), \(attempt.reason), \(attempt.createdAt.millis), \
            \(attempt.dialedAt?.millis), \(attempt.connectedAt?.millis), \(attempt.endedAt?.millis), \
            \(attempt.updatedAt.millis))
            """, on: connection)
    }

    /// Writes what an operation changed on an existing (locked) attempt row.
    func save(_ attempt: CallAttempt, on connection: PostgresConnection) async throws {
        let updated = try await rows(
            """
            UPDATE call_attempts SET status = \(attempt.status.rawValue), outcome = \(attempt.outcome?.rawValue), \
            charge = \(attempt.charge.rawValue), connected_party = \(attempt.connectedParty?.rawValue), \
            needs_reconciliation = \(attempt.needsReconciliation), credits_charged = \(attempt.creditsCharged.count), \
            uncollected = \(attempt.uncollected), reason = \(attempt.reason), dialed_at_ms = \(attempt.dialedAt?.millis), \
            connected_at_ms = \(attempt.connectedAt?.millis), ended_at_ms = \(attempt.endedAt?.millis), \
            updated_at_ms = \(attempt.updatedAt.millis)
            WHERE workspace_id = \(attempt.workspaceId) AND id = \(attempt.id) RETURNING id
            """, on: connection)
        guard updated.count == 1 else { throw PostgresStoreError(.corruptRow, operation: "update attempt") }
    }

    /// Records an event; a repeat of a system event id keeps the first record.
    func record(_ record: AttemptEventRecord, workspaceId: WorkspaceID, on connection: PostgresConnection)
        async throws
    {
        try await execute(
            """
            INSERT INTO attempt_events (workspace_id, \(unescaped: CallColumns.event))
            VALUES (\(workspaceId), \(record.eventId), \(record.attemptId), \(record.event), \(record.source), \
            \(record.disposition.rawValue), \(record.ledgerAction.rawValue), \(record.receivedAt.millis))
            ON CONFLICT (workspace_id, event_id) DO NOTHING
            """, on: connection)
    }

    /// Adds an ended attempt to the usage rollups.
    func addUsage(
        _ usage: UsageRollupRow, for attempt: CallAttempt, timeZone: TimeZone, on connection: PostgresConnection
    ) async throws {
        let day = Int32(usage.day.number)
        try await execute(
            """
            INSERT INTO usage_rollup AS r (workspace_id, day, wallet_id, campaign_id, outcome, attempts, credits, \
            refunds, uncollected)
            VALUES (\(attempt.workspaceId), \(day), \(usage.walletId), \(usage.campaignId ?? ""), \
            \(usage.outcome.rawValue), \(usage.attempts), \(usage.credits), \(usage.refunds), \(usage.uncollected))
            ON CONFLICT (workspace_id, day, wallet_id, campaign_id, outcome) DO UPDATE SET
                attempts = r.attempts + excluded.attempts, credits = r.credits + excluded.credits,
                refunds = r.refunds + excluded.refunds, uncollected = r.uncollected + excluded.uncollected
            """, on: connection)
        guard let position = AttemptStep.positionIncrement(for: attempt, timeZone: timeZone) else { return }
        try await execute(
            """
            INSERT INTO usage_positions AS p (workspace_id, day, position, outcome, attempts)
            VALUES (\(attempt.workspaceId), \(Int32(position.day.number)), \(Int32(position.position)), \
            \(position.outcome.rawValue), 1)
            ON CONFLICT (workspace_id, day, position, outcome) DO UPDATE SET attempts = p.attempts + 1
            """, on: connection)
    }

    /// The sweeper released `hold` by its timeout: its attempt follows in the same transaction, unless an
    /// operation on the attempt holds its lock (skipped, not waited for: that operation locks the attempt
    /// before the hold, and will find the hold released and align the attempt itself).
    func attemptTimedOut(_ hold: Hold, now: Date, on connection: PostgresConnection) async throws {
        guard
            let row = try await rows(
                """
                SELECT \(unescaped: CallColumns.attempt) FROM call_attempts
                WHERE workspace_id = \(hold.workspaceId) AND id = \(hold.attemptId)
                FOR NO KEY UPDATE SKIP LOCKED
                """, on: connection
            ).first
        else { return }
        let attempt = try CallAttempt(row: row)
        guard let next = AttemptStep.timedOut(attempt, now: now) else { return }
        try await save(next, on: connection)
        try await record(
            AttemptEventRecord(
                eventId: SystemEventID.timeout(attempt.id), attemptId: attempt.id,
                event: AttemptEvent.holdTimeout.code, source: "sweeper", disposition: .applied,
                ledgerAction: .release, receivedAt: now),
            workspaceId: hold.workspaceId, on: connection)
    }
}
