import CreditsCore
import CreditsStore
import Foundation
import GRDB

/// Call attempts on SQLite. Every operation is one job of the group-commit writer: the attempt row, its
/// ledger operation (hold, capture, release), its event record and its usage rollup commit together or
/// not at all. Refusals are thrown before the first write (the writer's contract).
extension SQLiteStore: CallStore {
    public func createAttempts(workspaceId: WorkspaceID, _ attempts: [NewAttempt]) async throws -> [AttemptUpdate] {
        try CallStoreChecks.batch(attempts)
        let context = operationContext
        return try await groupWriter.write { db in
            let now = context.clock.now()
            let timeZone = try context.timeZone(db, workspaceId)
            var planned: [(AttemptUpdate, UsageRollupRow?)] = []
            for new in attempts {
                if let existing = try SQLiteCallRows.attempt(db, workspaceId, new.id) {
                    try CallStoreChecks.replay(new, existing)
                    planned.append(
                        (
                            AttemptUpdate(
                                attempt: existing, disposition: .duplicate, ledgerAction: .none, replayed: true), nil
                        ))
                    continue
                }
                _ = try SQLiteRows.wallet(
                    db, workspaceId: workspaceId, walletId: new.walletId, cache: context.wallets)
                let listed = try SQLiteCallRows.isDoNotCall(db, workspaceId, new.phoneNumber)
                let (attempt, usage) = AttemptStep.create(
                    new, workspaceId: workspaceId, dncListed: listed, now: now, timeZone: timeZone)
                planned.append(
                    (
                        AttemptUpdate(attempt: attempt, disposition: .applied, ledgerAction: .none, replayed: false),
                        usage
                    ))
            }
            for (update, usage) in planned where !update.replayed {
                try SQLiteCallRows.insert(update.attempt, db)
                if let usage { try SQLiteCallRows.addUsage(usage, for: update.attempt, timeZone: timeZone, db) }
            }
            return planned.map(\.0)
        }
    }

    public func startDialing(_ command: DialCommand) async throws -> AttemptUpdate {
        try command.validate()
        let context = operationContext
        return try await groupWriter.write { db in
            let found = try SQLiteCallRows.operationRows(db, command.workspaceId, command.attemptId, eventId: nil)
            let attempt = found.attempt
            let timeZone = try context.timeZone(db, command.workspaceId)
            let listed =
                try attempt.status == .waiting
                && SQLiteCallRows.isDoNotCall(db, command.workspaceId, attempt.phoneNumber)
            let plan = try AttemptStep.plan(listed ? .dncFiltered : .dialingStarted, attempt: attempt, hold: found.hold)
            let step = AttemptOperation(
                original: attempt, hold: found.hold, lot: found.lot, eventId: SystemEventID.dial(attempt.id),
                source: "dial", reason: listed ? "dnc_listed" : nil, timeoutSeconds: command.holdTimeoutSeconds,
                timeZone: timeZone, recordAlways: false)
            do {
                return try Self.perform(plan, step, context, db)
            } catch let refusal as LedgerRefusal
                where refusal.code == .outOfCredits && command.whenOutOfCredits == .cancel
            {
                var cancel = step
                cancel.reason = "out_of_credits"
                return try Self.perform(
                    try AttemptStep.plan(.cancelled, attempt: attempt, hold: found.hold), cancel, context, db)
            }
        }
    }

    public func applyEvent(_ command: AttemptEventCommand) async throws -> AttemptUpdate {
        try command.validate()
        let context = operationContext
        return try await groupWriter.write { db in
            let found = try SQLiteCallRows.operationRows(
                db, command.workspaceId, command.attemptId, eventId: command.eventId)
            let attempt = found.attempt
            if let record = found.event {
                try CallStoreChecks.replay(command, record)
                return AttemptUpdate(
                    attempt: attempt, disposition: record.disposition, ledgerAction: record.ledgerAction,
                    replayed: true)
            }
            let timeZone = try context.timeZone(db, command.workspaceId)
            let plan = try AttemptStep.plan(command.event, attempt: attempt, hold: found.hold)
            let step = AttemptOperation(
                original: attempt, hold: found.hold, lot: found.lot, eventId: command.eventId, source: command.source,
                reason: nil, timeoutSeconds: Limits.holdTimeoutSecondsDefault, timeZone: timeZone, recordAlways: true)
            return try Self.perform(plan, step, context, db)
        }
    }

    public func cancelAttempt(workspaceId: WorkspaceID, attemptId: AttemptID, reason: String?) async throws
        -> AttemptUpdate
    {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        let reason = try CallStoreChecks.reason(reason)
        let context = operationContext
        return try await groupWriter.write { db in
            let found = try SQLiteCallRows.operationRows(db, workspaceId, attemptId, eventId: nil)
            let attempt = found.attempt
            let timeZone = try context.timeZone(db, workspaceId)
            let plan = try AttemptStep.plan(.cancelled, attempt: attempt, hold: found.hold)
            let step = AttemptOperation(
                original: attempt, hold: found.hold, lot: found.lot, eventId: SystemEventID.cancel(attemptId),
                source: "cancel", reason: reason, timeoutSeconds: Limits.holdTimeoutSecondsDefault,
                timeZone: timeZone, recordAlways: false)
            return try Self.perform(plan, step, context, db)
        }
    }

    public func cancelWaitingAttempts(
        workspaceId: WorkspaceID, campaignId: CampaignID, reason: String?, limit: Int
    ) async throws -> [CallAttempt] {
        try Limits.checkIdentifier(campaignId, field: "campaignId")
        let reason = try CallStoreChecks.reason(reason)
        let limit = min(max(limit, 0), Limits.sweepBatchMax)
        let context = operationContext
        return try await groupWriter.write { db in
            let timeZone = try context.timeZone(db, workspaceId)
            let waiting = try db.rows(
                """
                SELECT \(SQLiteCallRows.attemptColumns) FROM call_attempts
                WHERE workspace_id = ? AND campaign_id = ? AND status = 'waiting' ORDER BY id LIMIT ?
                """, [.text(workspaceId), .text(campaignId), .integer(Int64(limit))], SQLiteCallRows.attempt)
            var plans: [(AttemptPlan, AttemptOperation)] = []
            for attempt in waiting {
                let plan = try AttemptStep.plan(.cancelled, attempt: attempt, hold: nil)
                plans.append(
                    (
                        plan,
                        AttemptOperation(
                            original: attempt, hold: nil, lot: nil, eventId: SystemEventID.cancel(attempt.id),
                            source: "cancel", reason: reason, timeoutSeconds: Limits.holdTimeoutSecondsDefault,
                            timeZone: timeZone, recordAlways: false)
                    ))
            }
            return try plans.map { plan, step in try Self.perform(plan, step, context, db).attempt }
        }
    }

    public func reconcileAttempts(limit: Int) async throws -> [CallAttempt] {
        let limit = min(max(limit, 0), Limits.sweepBatchMax)
        return try await groupWriter.write { db in
            let candidates = try db.rows(
                """
                SELECT \(SQLiteCallRows.holdQualifiedColumns), \(SQLiteCallRows.attemptQualifiedColumns)
                FROM call_attempts a JOIN holds h ON h.workspace_id = a.workspace_id AND h.attempt_id = a.id
                WHERE a.status = 'calling' AND a.charge = 'held' AND h.state <> 'held'
                ORDER BY a.workspace_id, a.id LIMIT ?
                """, [.integer(Int64(limit))]
            ) { row in (SQLiteRows.hold(row), SQLiteCallRows.attempt(row.shifted(by: 11))) }
            var repaired: [CallAttempt] = []
            for (hold, attempt) in candidates {
                let aligned = AttemptStep.aligned(attempt, hold: hold)
                guard aligned != attempt else { continue }
                try SQLiteCallRows.update(aligned, db)
                repaired.append(aligned)
            }
            return repaired
        }
    }

    public func attempt(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> CallAttempt? {
        try await readPool.read { db in try SQLiteCallRows.attempt(db, workspaceId, attemptId) }
    }

    public func attempts(workspaceId: WorkspaceID, ids: [AttemptID]) async throws -> [CallAttempt] {
        try CallStoreChecks.attemptIds(ids)
        let list = String(decoding: try JSONEncoder().encode(Array(Set(ids))), as: UTF8.self)
        return try await readPool.read { db in
            try db.rows(
                """
                SELECT \(SQLiteCallRows.attemptColumns) FROM call_attempts
                WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))
                """, [.text(workspaceId), .text(list)], SQLiteCallRows.attempt)
        }
    }

    public func attempts(_ query: AttemptQuery) async throws -> AttemptPage {
        try query.validate()
        return try await readPool.read { db in
            var conditions = ["workspace_id = ?"]
            var values: [SQLValue] = [.text(query.workspaceId)]
            if let campaignId = query.campaignId {
                conditions.append("campaign_id = ?")
                values.append(.text(campaignId))
            }
            if let recipientId = query.recipientId {
                conditions.append("recipient_id = ?")
                values.append(.text(recipientId))
            }
            if let walletId = query.walletId {
                conditions.append("wallet_id = ?")
                values.append(.text(walletId))
            }
            if !query.statuses.isEmpty {
                let statuses = query.statuses.map(\.rawValue).sorted()
                conditions.append("status IN (\(statuses.map { _ in "?" }.joined(separator: ", ")))")
                values += statuses.map(SQLValue.text)
            }
            if let flag = query.needsReconciliation {
                conditions.append("needs_reconciliation = ?")
                values.append(.integer(flag ? 1 : 0))
            }
            if let after = query.after {
                conditions.append("id > ?")
                values.append(.text(after))
            }
            values.append(.integer(Int64(query.limit + 1)))
            let sql = """
                SELECT \(SQLiteCallRows.attemptColumns) FROM call_attempts
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?
                """
            return AttemptPage(fetched: try db.rows(sql, values, SQLiteCallRows.attempt), limit: query.limit)
        }
    }

    public func attemptEvents(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> [AttemptEventRecord] {
        try await readPool.read { db in
            try db.rows(
                """
                SELECT \(SQLiteCallRows.eventColumns) FROM attempt_events WHERE workspace_id = ? AND attempt_id = ?
                ORDER BY rowid
                """, [.text(workspaceId), .text(attemptId)], SQLiteCallRows.event)
        }
    }

    public func usage(_ query: UsageQuery) async throws -> UsageReport {
        try query.validate()
        let (wallets, timeZones) = (walletCache, timeZoneCache)
        return try await readPool.read { db in
            let timeZone = try SQLiteCallRows.timeZone(db, query.workspaceId, cache: timeZones)
            if let walletId = query.walletId {
                _ = try SQLiteRows.wallet(db, workspaceId: query.workspaceId, walletId: walletId, cache: wallets)
            }
            let rows = try db.rows(
                """
                SELECT day, wallet_id, campaign_id, outcome, attempts, credits, refunds, uncollected FROM usage_rollup
                WHERE workspace_id = ? AND day BETWEEN ? AND ? AND (? IS NULL OR wallet_id = ?)
                """,
                [
                    .text(query.workspaceId), .integer(Int64(query.from.number)), .integer(Int64(query.to.number)),
                    .text(query.walletId), .text(query.walletId),
                ], SQLiteCallRows.usageRow)
            return UsageReport(query: query, timeZone: timeZone.identifier, rows: rows.compactMap { $0 })
        }
    }

    public func positionStatistics(workspaceId: WorkspaceID, from: CalendarDay, to: CalendarDay) async throws
        -> [PositionStatistics]
    {
        try await readPool.read { db in
            let rows = try db.rows(
                """
                SELECT position, outcome, SUM(attempts) FROM usage_positions
                WHERE workspace_id = ? AND day BETWEEN ? AND ? GROUP BY position, outcome
                """, [.text(workspaceId), .integer(Int64(from.number)), .integer(Int64(to.number))]
            ) { row in
                CallOutcome(rawValue: row.text(1)).map {
                    (position: Int(row.integer(0)), outcome: $0, attempts: row.integer(2))
                }
            }
            return PositionStatistics.from(rows.compactMap { $0 })
        }
    }
}
