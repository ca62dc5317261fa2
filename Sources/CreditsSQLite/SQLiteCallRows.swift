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

    private static func unknownAttempt(_ db: Database, _ workspaceId: WorkspaceID, _ attemptId: AttemptID) throws
        -> LedgerRefusal
    {
        _ = try timeZone(db, workspaceId)
        return LedgerRefusal(.unknownAttempt, "no attempt \(attemptId) in this workspace")
    }

    /// What an operation on an attempt reads first: the attempt, its hold with the lot it holds a credit
    /// from (nil once the hold has ended), and the record of the operation's event id when there is one.
    struct OperationRows {
        var attempt: CallAttempt
        var hold: Hold?
        var lot: Lot?
        var event: AttemptEventRecord?
    }

    /// Attempt, hold, lot and event record in one statement (each a key lookup): the attempt operations
    /// are the writer's commonest jobs, and one statement instead of four is a measurable share of them.
    private static let operationRowsSQL = """
        SELECT \(attemptQualifiedColumns), \(holdQualifiedColumns),
               \(SQLiteRows.qualified(SQLiteRows.lotColumns, "l")), \(SQLiteRows.qualified(eventColumns, "e"))
        FROM call_attempts a
        LEFT JOIN holds h ON h.workspace_id = a.workspace_id AND h.attempt_id = a.id
        LEFT JOIN lots l ON l.id = h.lot_id AND h.state = 'held'
        LEFT JOIN attempt_events e ON e.workspace_id = a.workspace_id AND e.event_id = ?
        WHERE a.workspace_id = ? AND a.id = ?
        """

    /// The rows an operation on the attempt starts from (`eventId` nil: no event record is looked up), or
    /// `unknown_attempt` (`workspace_not_found` when the workspace does not exist).
    static func operationRows(
        _ db: Database, _ workspaceId: WorkspaceID, _ attemptId: AttemptID, eventId: String?
    ) throws -> OperationRows {
        let found = try RawStatement.first(
            db.cachedStatement(sql: operationRowsSQL), [.text(eventId), .text(workspaceId), .text(attemptId)]
        ) { row in
            let (hold, lot, event) = (row.shifted(by: 20), row.shifted(by: 31), row.shifted(by: 42))
            return OperationRows(
                attempt: attempt(row), hold: hold.isNull(0) ? nil : SQLiteRows.hold(hold),
                lot: lot.isNull(0) ? nil : SQLiteRows.lot(lot), event: event.isNull(0) ? nil : self.event(event))
        }
        guard let found else { throw try unknownAttempt(db, workspaceId, attemptId) }
        return found
    }

    private static let timeZoneSQL = "SELECT time_zone FROM workspaces WHERE id = ?"

    /// The workspace's time zone, in which usage days are counted; from `cache` when it was read before (a
    /// workspace's time zone is set when it is made and never changes).
    static func timeZone(
        _ db: Database, _ workspaceId: WorkspaceID, cache: RowCache<TimeZone>? = nil
    ) throws -> TimeZone {
        if let cached = cache?[workspaceId] { return cached }
        guard
            let name = try RawStatement.first(
                db.cachedStatement(sql: timeZoneSQL), [.text(workspaceId)], { $0.text(0) })
        else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        let timeZone = TimeZone(identifier: name) ?? .gmt
        cache?[workspaceId] = timeZone
        return timeZone
    }

    static func isDoNotCall(_ db: Database, _ workspaceId: WorkspaceID, _ number: String) throws -> Bool {
        try db.firstRow(
            "SELECT 1 FROM dnc_numbers WHERE workspace_id = ? AND phone_number = ?",
            [.text(workspaceId), .text(number)],
            { _ in true }) != nil
    }

    // MARK: Writes

    /// Inserts a new attempt row.
    static func insert(_ attempt: CallAttempt, _ db: Database) throws {
        try RawStatement.execute(
            db.cachedStatement(sql: insertSQL),
            [
                .text(attempt.workspaceId), .text(attempt.id), .text(attempt.walletId), .text(attempt.campaignId),
                .text(attempt.recipientId), .integer(attempt.numberPosition.map(Int64.init)),
                .text(attempt.phoneNumber),
            ] + changingValues(attempt) + [.integer(attempt.createdAt.millisecondsSince1970)])
    }

    /// Updates an attempt row that exists (read in the same transaction): only the columns an attempt's steps
    /// change. A missing row is an error, never a silent no-op.
    static func update(_ attempt: CallAttempt, _ db: Database) throws {
        try RawStatement.execute(
            db.cachedStatement(sql: updateSQL),
            changingValues(attempt) + [.text(attempt.workspaceId), .text(attempt.id)])
        guard db.changesCount == 1 else {
            throw DatabaseError(message: "attempt \(attempt.id) has no row to update")
        }
    }

    /// The columns an attempt's steps change, in `changingColumns`' order.
    private static func changingValues(_ attempt: CallAttempt) -> [SQLValue] {
        [
            .text(attempt.status.rawValue), .text(attempt.outcome?.rawValue), .text(attempt.charge.rawValue),
            .text(attempt.connectedParty?.rawValue), .integer(attempt.needsReconciliation ? 1 : 0),
            .integer(attempt.creditsCharged.count), .integer(attempt.uncollected ? 1 : 0), .text(attempt.reason),
            .integer(attempt.dialedAt?.millisecondsSince1970), .integer(attempt.connectedAt?.millisecondsSince1970),
            .integer(attempt.endedAt?.millisecondsSince1970), .integer(attempt.updatedAt.millisecondsSince1970),
        ]
    }

    private static let changingColumns = [
        "status", "outcome", "charge", "connected_party", "needs_reconciliation", "credits_charged", "uncollected",
        "reason", "dialed_at", "connected_at", "ended_at", "updated_at",
    ]

    private static let insertSQL = """
        INSERT INTO call_attempts (workspace_id, id, wallet_id, campaign_id, recipient_id, number_position,
                                   phone_number, \(changingColumns.joined(separator: ", ")), created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, \(changingColumns.map { _ in "?" }.joined(separator: ", ")), ?)
        """

    private static let updateSQL = """
        UPDATE call_attempts SET \(changingColumns.map { "\($0) = ?" }.joined(separator: ", "))
        WHERE workspace_id = ? AND id = ?
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
        try update(next, db)
        try record(
            AttemptEventRecord(
                eventId: SystemEventID.timeout(attempt.id), attemptId: attempt.id,
                event: AttemptEvent.holdTimeout.code, source: "sweeper", disposition: .applied,
                ledgerAction: .release, receivedAt: now),
            workspaceId: hold.workspaceId, db)
    }
}
