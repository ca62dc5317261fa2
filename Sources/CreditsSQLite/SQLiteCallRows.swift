import CreditsCore
import CreditsStore
import Foundation
import GRDB

/// Reading and writing call attempt rows, their events and the usage rollups, inside the caller's
/// transaction (the same one that performs the attempt's ledger operation).
enum SQLiteCallRows {
    static let attemptColumns = """
        workspace_id, id, wallet_id, campaign_id, recipient_id, number_position, phone_number, status, outcome,
        charge, connected_party, needs_reconciliation, credits_charged, uncollected, reason, created_at, dialed_at,
        connected_at, ended_at, updated_at
        """

    static func attempt(_ row: Columns) -> CallAttempt {
        CallAttempt(
            id: row.text(1), workspaceId: row.text(0), walletId: row.text(2), campaignId: row.optionalText(3),
            recipientId: row.optionalText(4), numberPosition: row.optionalInteger(5).map { Int($0) },
            phoneNumber: row.text(6), status: AttemptStatus(rawValue: row.text(7)) ?? .waiting,
            outcome: row.optionalText(8).flatMap(CallOutcome.init(rawValue:)),
            charge: AttemptCharge(rawValue: row.text(9)) ?? .none,
            connectedParty: row.optionalText(10).flatMap(ConnectedParty.init(rawValue:)),
            needsReconciliation: row.integer(11) != 0, creditsCharged: Credits(row.integer(12)),
            uncollected: row.integer(13) != 0, reason: row.optionalText(14), createdAt: SQLiteRows.date(row, 15),
            dialedAt: SQLiteRows.optionalDate(row, 16), connectedAt: SQLiteRows.optionalDate(row, 17),
            endedAt: SQLiteRows.optionalDate(row, 18), updatedAt: SQLiteRows.date(row, 19))
    }

    static let eventColumns = "event_id, attempt_id, event, source, disposition, ledger_action, received_at"

    static func event(_ row: Columns) -> AttemptEventRecord {
        AttemptEventRecord(
            eventId: row.text(0), attemptId: row.text(1), event: row.text(2), source: row.text(3),
            disposition: AttemptEventDisposition(rawValue: row.text(4)) ?? .applied,
            ledgerAction: AttemptLedgerAction(rawValue: row.text(5)) ?? .none, receivedAt: SQLiteRows.date(row, 6))
    }

    private static let attemptByIdSQL =
        "SELECT \(attemptColumns) FROM call_attempts WHERE workspace_id = ? AND id = ?"

    static func attempt(_ db: Database, _ workspaceId: WorkspaceID, _ attemptId: AttemptID) throws -> CallAttempt? {
        try db.firstRow(attemptByIdSQL, [.text(workspaceId), .text(attemptId)], attempt)
    }

    /// The attempt, or `unknown_attempt` (`workspace_not_found` when the workspace does not exist).
    static func existingAttempt(_ db: Database, _ workspaceId: WorkspaceID, _ attemptId: AttemptID) throws
        -> CallAttempt
    {
        if let found = try attempt(db, workspaceId, attemptId) { return found }
        _ = try timeZone(db, workspaceId)
        throw LedgerRefusal(.unknownAttempt, "no attempt \(attemptId) in this workspace")
    }

    /// The workspace's time zone, in which usage days are counted.
    static func timeZone(_ db: Database, _ workspaceId: WorkspaceID) throws -> TimeZone {
        guard
            let name = try db.firstRow(
                "SELECT time_zone FROM workspaces WHERE id = ?", [.text(workspaceId)], { $0.text(0) })
        else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        return TimeZone(identifier: name) ?? .gmt
    }

    static func event(_ db: Database, _ workspaceId: WorkspaceID, _ eventId: String) throws -> AttemptEventRecord? {
        try db.firstRow(
            "SELECT \(eventColumns) FROM attempt_events WHERE workspace_id = ? AND event_id = ?",
            [.text(workspaceId), .text(eventId)], event)
    }

    static func isDoNotCall(_ db: Database, _ workspaceId: WorkspaceID, _ number: String) throws -> Bool {
        try db.firstRow(
            "SELECT 1 FROM dnc_numbers WHERE workspace_id = ? AND phone_number = ?",
            [.text(workspaceId), .text(number)],
            { _ in true }) != nil
    }

    // MARK: Writes

    /// Inserts or updates the attempt row.
    static func save(_ attempt: CallAttempt, _ db: Database) throws {
        try RawStatement.execute(
            db.cachedStatement(sql: saveSQL),
            [
                .text(attempt.workspaceId), .text(attempt.id), .text(attempt.walletId), .text(attempt.campaignId),
                .text(attempt.recipientId), .integer(attempt.numberPosition.map(Int64.init)),
                .text(attempt.phoneNumber), .text(attempt.status.rawValue), .text(attempt.outcome?.rawValue),
                .text(attempt.charge.rawValue), .text(attempt.connectedParty?.rawValue),
                .integer(attempt.needsReconciliation ? 1 : 0), .integer(attempt.creditsCharged.count),
                .integer(attempt.uncollected ? 1 : 0), .text(attempt.reason),
                .integer(attempt.createdAt.millisecondsSince1970), .integer(attempt.dialedAt?.millisecondsSince1970),
                .integer(attempt.connectedAt?.millisecondsSince1970), .integer(attempt.endedAt?.millisecondsSince1970),
                .integer(attempt.updatedAt.millisecondsSince1970),
            ])
    }

    private static let saveSQL = """
                INSERT INTO call_attempts (\(attemptColumns))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (workspace_id, id) DO UPDATE SET
                    status = excluded.status, outcome = excluded.outcome, charge = excluded.charge,
                    connected_party = excluded.connected_party, needs_reconciliation = excluded.needs_reconciliation,
                    credits_charged = excluded.credits_charged, uncollected = excluded.uncollected,
                    reason = excluded.reason, dialed_at = excluded.dialed_at, connected_at = excluded.connected_at,
                    ended_at = excluded.ended_at, updated_at = excluded.updated_at
        """

    /// Records an event; a repeat of a system event id keeps the first record.
    static func record(_ record: AttemptEventRecord, workspaceId: WorkspaceID, _ db: Database) throws {
        try RawStatement.execute(
            db.cachedStatement(
                sql: """
                    INSERT INTO attempt_events (workspace_id, \(eventColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (workspace_id, event_id) DO NOTHING
                    """),
            [
                .text(workspaceId), .text(record.eventId), .text(record.attemptId), .text(record.event),
                .text(record.source), .text(record.disposition.rawValue), .text(record.ledgerAction.rawValue),
                .integer(record.receivedAt.millisecondsSince1970),
            ])
    }

    /// Adds an ended attempt to the usage rollups.
    static func addUsage(
        _ usage: UsageRollupRow, for attempt: CallAttempt, timeZone: TimeZone, _ db: Database
    ) throws {
        try RawStatement.execute(
            db.cachedStatement(
                sql: """
                    INSERT INTO usage_rollup (workspace_id, day, wallet_id, campaign_id, outcome, attempts, credits,
                                              refunds, uncollected)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (workspace_id, day, wallet_id, campaign_id, outcome) DO UPDATE SET
                        attempts = attempts + excluded.attempts, credits = credits + excluded.credits,
                        refunds = refunds + excluded.refunds, uncollected = uncollected + excluded.uncollected
                    """),
            [
                .text(attempt.workspaceId), .integer(Int64(usage.day.number)), .text(usage.walletId),
                .text(usage.campaignId ?? ""), .text(usage.outcome.rawValue), .integer(usage.attempts),
                .integer(usage.credits), .integer(usage.refunds), .integer(usage.uncollected),
            ])
        guard let position = AttemptStep.positionIncrement(for: attempt, timeZone: timeZone) else { return }
        try RawStatement.execute(
            db.cachedStatement(
                sql: """
                    INSERT INTO usage_positions (workspace_id, day, position, outcome, attempts) VALUES (?, ?, ?, ?, 1)
                    ON CONFLICT (workspace_id, day, position, outcome) DO UPDATE SET attempts = attempts + 1
                    """),
            [
                .text(attempt.workspaceId), .integer(Int64(position.day.number)), .integer(Int64(position.position)),
                .text(position.outcome.rawValue),
            ])
    }

    /// The sweeper released `hold` by its timeout: its attempt (if any) follows in the same transaction.
    static func attemptTimedOut(_ hold: Hold, now: Date, _ db: Database) throws {
        guard let attempt = try attempt(db, hold.workspaceId, hold.attemptId),
            let next = AttemptStep.timedOut(attempt, now: now)
        else { return }
        try save(next, db)
        try record(
            AttemptEventRecord(
                eventId: SystemEventID.timeout(attempt.id), attemptId: attempt.id,
                event: AttemptEvent.holdTimeout.code, source: "sweeper", disposition: .applied,
                ledgerAction: .release, receivedAt: now),
            workspaceId: hold.workspaceId, db)
    }
}
