import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

/// Call attempts on PostgreSQL. Each operation is one transaction: the attempt row is locked first, then
/// the hold, the wallet and the lots (the ledger's own order), so the attempt's status, its ledger
/// operation, its event record and its usage rollup commit together. A lost race on a new attempt or
/// event id rolls back and retries, and the retry replays the winner's result.
extension PostgresStore: CallStore {
    public func createAttempts(workspaceId: WorkspaceID, _ attempts: [NewAttempt]) async throws -> [AttemptUpdate] {
        try CallStoreChecks.batch(attempts)
        return try await transaction("createAttempts") { connection in
            let now = now()
            let timeZone = try await zone(workspaceId, on: connection)
            var planned: [(AttemptUpdate, UsageRollupRow?)] = []
            for new in attempts {
                if let existing = try await self.attempt(workspaceId, new.id, locking: false, on: connection) {
                    try CallStoreChecks.replay(new, existing)
                    planned.append(
                        (
                            AttemptUpdate(
                                attempt: existing, disposition: .duplicate, ledgerAction: .none, replayed: true), nil
                        ))
                    continue
                }
                _ = try await wallet(workspaceId, new.walletId, locking: false, on: connection)
                let listed = try await isDoNotCall(workspaceId, new.phoneNumber, on: connection)
                let (attempt, usage) = AttemptStep.create(
                    new, workspaceId: workspaceId, dncListed: listed, now: now, timeZone: timeZone)
                planned.append(
                    (
                        AttemptUpdate(attempt: attempt, disposition: .applied, ledgerAction: .none, replayed: false),
                        usage
                    ))
            }
            for (update, usage) in planned where !update.replayed {
                try await insert(update.attempt, on: connection)
                if let usage { try await addUsage(usage, for: update.attempt, timeZone: timeZone, on: connection) }
            }
            return planned.map(\.0)
        }
    }

    public func startDialing(_ command: DialCommand) async throws -> AttemptUpdate {
        try command.validate()
        return try await transaction("startDialing") { connection in
            let attempt = try await lockAttempt(command.workspaceId, command.attemptId, on: connection)
            let timeZone = try await zone(command.workspaceId, on: connection)
            var listed = false
            if attempt.status == .waiting {
                listed = try await isDoNotCall(command.workspaceId, attempt.phoneNumber, on: connection)
            }
            let hold = try await self.hold(command.workspaceId, attempt.id, locking: true, on: connection)
            let plan = try AttemptStep.plan(listed ? .dncFiltered : .dialingStarted, attempt: attempt, hold: hold)
            var step = PostgresAttemptOperation(
                original: attempt, hold: hold, eventId: SystemEventID.dial(attempt.id), source: "dial",
                reason: listed ? "dnc_listed" : nil, timeoutSeconds: command.holdTimeoutSeconds, timeZone: timeZone,
                recordAlways: false)
            do {
                return try await perform(plan, step, on: connection)
            } catch let refusal as LedgerRefusal
                where refusal.code == .outOfCredits && command.whenOutOfCredits == .cancel
            {
                step.reason = "out_of_credits"
                let cancel = try AttemptStep.plan(.cancelled, attempt: attempt, hold: hold)
                return try await perform(cancel, step, on: connection)
            }
        }
    }

    public func applyEvent(_ command: AttemptEventCommand) async throws -> AttemptUpdate {
        try command.validate()
        return try await transaction("applyEvent") { connection in
            let attempt = try await lockAttempt(command.workspaceId, command.attemptId, on: connection)
            if let record = try await eventRecord(command.workspaceId, command.eventId, on: connection) {
                try CallStoreChecks.replay(command, record)
                return AttemptUpdate(
                    attempt: attempt, disposition: record.disposition, ledgerAction: record.ledgerAction,
                    replayed: true)
            }
            let timeZone = try await zone(command.workspaceId, on: connection)
            let hold = try await self.hold(command.workspaceId, attempt.id, locking: true, on: connection)
            let plan = try AttemptStep.plan(command.event, attempt: attempt, hold: hold)
            let step = PostgresAttemptOperation(
                original: attempt, hold: hold, eventId: command.eventId, source: command.source, reason: nil,
                timeoutSeconds: Limits.holdTimeoutSecondsDefault, timeZone: timeZone, recordAlways: true)
            return try await perform(plan, step, on: connection)
        }
    }

    public func cancelAttempt(workspaceId: WorkspaceID, attemptId: AttemptID, reason: String?) async throws
        -> AttemptUpdate
    {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        let reason = try CallStoreChecks.reason(reason)
        return try await transaction("cancelAttempt") { connection in
            let attempt = try await lockAttempt(workspaceId, attemptId, on: connection)
            let timeZone = try await zone(workspaceId, on: connection)
            let hold = try await self.hold(workspaceId, attemptId, locking: true, on: connection)
            let plan = try AttemptStep.plan(.cancelled, attempt: attempt, hold: hold)
            let step = PostgresAttemptOperation(
                original: attempt, hold: hold, eventId: SystemEventID.cancel(attemptId), source: "cancel",
                reason: reason, timeoutSeconds: Limits.holdTimeoutSecondsDefault, timeZone: timeZone,
                recordAlways: false)
            return try await perform(plan, step, on: connection)
        }
    }

    public func cancelWaitingAttempts(
        workspaceId: WorkspaceID, campaignId: CampaignID, reason: String?, limit: Int
    ) async throws -> [CallAttempt] {
        try Limits.checkIdentifier(campaignId, field: "campaignId")
        let reason = try CallStoreChecks.reason(reason)
        let limit = min(max(limit, 0), Limits.sweepBatchMax)
        return try await transaction("cancelWaitingAttempts") { connection in
            let timeZone = try await zone(workspaceId, on: connection)
            // SKIP LOCKED: an attempt being dialed right now is left to that operation.
            let waiting = try await rows(
                """
                SELECT \(unescaped: CallColumns.attempt) FROM call_attempts
                WHERE workspace_id = \(workspaceId) AND campaign_id = \(campaignId) AND status = 'waiting'
                ORDER BY id LIMIT \(limit) FOR NO KEY UPDATE SKIP LOCKED
                """, on: connection
            ).map(CallAttempt.init(row:))
            var cancelled: [CallAttempt] = []
            for attempt in waiting {
                let plan = try AttemptStep.plan(.cancelled, attempt: attempt, hold: nil)
                let step = PostgresAttemptOperation(
                    original: attempt, hold: nil, eventId: SystemEventID.cancel(attempt.id), source: "cancel",
                    reason: reason, timeoutSeconds: Limits.holdTimeoutSecondsDefault, timeZone: timeZone,
                    recordAlways: false)
                cancelled.append(try await perform(plan, step, on: connection).attempt)
            }
            return cancelled
        }
    }

    public func reconcileAttempts(limit: Int) async throws -> [CallAttempt] {
        let limit = min(max(limit, 0), Limits.sweepBatchMax)
        let candidates = try await read("reconcileAttempts") { connection in
            try await rows(
                """
                SELECT a.workspace_id, a.id FROM call_attempts a
                JOIN holds h ON h.workspace_id = a.workspace_id AND h.attempt_id = a.id
                WHERE a.status = 'calling' AND a.charge = 'held' AND h.state <> 'held'
                ORDER BY a.workspace_id, a.id LIMIT \(limit)
                """, on: connection
            ).map { try $0.decode((String, String).self) }
        }
        var repaired: [CallAttempt] = []
        for (workspaceId, attemptId) in candidates {
            let fixed = try await transaction("reconcileAttempts") { connection -> CallAttempt? in
                guard let attempt = try await self.attempt(workspaceId, attemptId, locking: true, on: connection) else {
                    return nil
                }
                let hold = try await self.hold(workspaceId, attemptId, locking: false, on: connection)
                let aligned = AttemptStep.aligned(attempt, hold: hold)
                guard aligned != attempt else { return nil }
                try await save(aligned, on: connection)
                return aligned
            }
            if let fixed { repaired.append(fixed) }
        }
        return repaired
    }

    public func attempt(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> CallAttempt? {
        try await read("attempt") { connection in
            try await attempt(workspaceId, attemptId, locking: false, on: connection)
        }
    }

    public func attempts(workspaceId: WorkspaceID, ids: [AttemptID]) async throws -> [CallAttempt] {
        try CallStoreChecks.attemptIds(ids)
        let unique = Array(Set(ids))
        return try await read("attempts by id") { connection in
            try await rows(
                """
                SELECT \(unescaped: CallColumns.attempt) FROM call_attempts
                WHERE workspace_id = \(workspaceId) AND id = ANY(\(unique))
                """, on: connection
            ).map(CallAttempt.init(row:))
        }
    }

    public func attempts(_ query: AttemptQuery) async throws -> AttemptPage {
        try query.validate()
        let statuses = query.statuses.map(\.rawValue).sorted()
        return try await read("attempts") { connection in
            let fetched = try await rows(
                """
                SELECT \(unescaped: CallColumns.attempt) FROM call_attempts
                WHERE workspace_id = \(query.workspaceId)
                  AND (\(query.campaignId)::text IS NULL OR campaign_id = \(query.campaignId))
                  AND (\(query.recipientId)::text IS NULL OR recipient_id = \(query.recipientId))
                  AND (\(query.walletId)::text IS NULL OR wallet_id = \(query.walletId))
                  AND (cardinality(\(statuses)::text[]) = 0 OR status = ANY(\(statuses)::text[]))
                  AND (\(query.needsReconciliation)::boolean IS NULL
                       OR needs_reconciliation = \(query.needsReconciliation))
                  AND (\(query.after)::text IS NULL OR id > \(query.after))
                ORDER BY id LIMIT \(query.limit + 1)
                """, on: connection
            ).map(CallAttempt.init(row:))
            return AttemptPage(fetched: fetched, limit: query.limit)
        }
    }

    public func attemptEvents(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> [AttemptEventRecord] {
        try await read("attemptEvents") { connection in
            try await rows(
                """
                SELECT \(unescaped: CallColumns.event) FROM attempt_events
                WHERE workspace_id = \(workspaceId) AND attempt_id = \(attemptId) ORDER BY seq
                """, on: connection
            ).map(AttemptEventRecord.init(row:))
        }
    }

    public func usage(_ query: UsageQuery) async throws -> UsageReport {
        try query.validate()
        return try await read("usage") { connection in
            let timeZone = try await zone(query.workspaceId, on: connection)
            if let walletId = query.walletId {
                _ = try await wallet(query.workspaceId, walletId, locking: false, on: connection)
            }
            let found = try await rows(
                """
                SELECT day, wallet_id, campaign_id, outcome, attempts, credits, refunds, uncollected FROM usage_rollup
                WHERE workspace_id = \(query.workspaceId)
                  AND day BETWEEN \(Int32(query.from.number)) AND \(Int32(query.to.number))
                  AND (\(query.walletId)::text IS NULL OR wallet_id = \(query.walletId))
                """, on: connection
            ).compactMap { row -> UsageRollupRow? in
                let (day, walletId, campaignId, outcome, attempts, credits, refunds, uncollected) = try row.decode(
                    (Int32, String, String, String, Int64, Int64, Int64, Int64).self)
                guard let day = CalendarDay(number: Int(day)), let outcome = CallOutcome(rawValue: outcome) else {
                    return nil
                }
                return UsageRollupRow(
                    day: day, walletId: walletId, campaignId: campaignId.isEmpty ? nil : campaignId, outcome: outcome,
                    attempts: attempts, credits: credits, refunds: refunds, uncollected: uncollected)
            }
            return UsageReport(query: query, timeZone: timeZone.identifier, rows: found)
        }
    }

    public func positionStatistics(workspaceId: WorkspaceID, from: CalendarDay, to: CalendarDay) async throws
        -> [PositionStatistics]
    {
        try await read("positionStatistics") { connection in
            let found = try await rows(
                """
                SELECT position, outcome, SUM(attempts)::bigint FROM usage_positions
                WHERE workspace_id = \(workspaceId) AND day BETWEEN \(Int32(from.number)) AND \(Int32(to.number))
                GROUP BY position, outcome
                """, on: connection
            ).compactMap { row -> (position: Int, outcome: CallOutcome, attempts: Int64)? in
                let (position, outcome, attempts) = try row.decode((Int32, String, Int64).self)
                return CallOutcome(rawValue: outcome).map { (Int(position), $0, attempts) }
            }
            return PositionStatistics.from(found)
        }
    }
}
