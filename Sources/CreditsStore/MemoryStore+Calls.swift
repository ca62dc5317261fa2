import CreditsCore
import Foundation

/// Call attempts, their events, the usage rollups and the Do Not Call lists of the reference store.
struct MemoryCallState: Sendable {
    /// By workspace id + "/" + attempt id.
    var attempts: [String: CallAttempt] = [:]
    /// By workspace id + "/" + event id.
    var events: [String: AttemptEventRecord] = [:]
    /// Event ids by workspace id + "/" + attempt id, in arrival order.
    var eventsByAttempt: [String: [String]] = [:]
    /// The usage rollup: one row per (workspace, day, wallet, campaign, outcome).
    var usage: [UsageKey: UsageRollupRow] = [:]
    /// Dialed attempts that ended, by (workspace, day, position, outcome).
    var positions: [PositionKey: Int64] = [:]
    /// The Do Not Call lists: workspace → E.164 → entry.
    var doNotCall: [WorkspaceID: [String: DoNotCallNumber]] = [:]

    struct UsageKey: Hashable, Sendable {
        var workspaceId: WorkspaceID
        var day: CalendarDay
        var walletId: WalletID
        var campaignId: CampaignID?
        var outcome: CallOutcome
    }

    struct PositionKey: Hashable, Sendable {
        var workspaceId: WorkspaceID
        var day: CalendarDay
        var position: Int
        var outcome: CallOutcome
    }
}

extension MemoryStore: CallStore {
    public func createAttempts(workspaceId: WorkspaceID, _ attempts: [NewAttempt]) async throws -> [AttemptUpdate] {
        try CallStoreChecks.batch(attempts)
        let now = clock.now()
        let timeZone = try workspaceTimeZone(workspaceId)
        // Decide everything first: the batch is all or nothing.
        var planned: [(AttemptUpdate, UsageRollupRow?)] = []
        for new in attempts {
            if let existing = calls.attempts[workspaceId + "/" + new.id] {
                try CallStoreChecks.replay(new, existing)
                planned.append(
                    (
                        AttemptUpdate(attempt: existing, disposition: .duplicate, ledgerAction: .none, replayed: true),
                        nil
                    ))
                continue
            }
            _ = try ownWallet(workspaceId, new.walletId)
            let listed = calls.doNotCall[workspaceId]?[new.phoneNumber] != nil
            let (attempt, usage) = AttemptStep.create(
                new, workspaceId: workspaceId, dncListed: listed, now: now, timeZone: timeZone)
            planned.append(
                (AttemptUpdate(attempt: attempt, disposition: .applied, ledgerAction: .none, replayed: false), usage))
        }
        for (update, usage) in planned where !update.replayed {
            save(update.attempt, usage: usage, timeZone: timeZone)
        }
        return planned.map(\.0)
    }

    public func startDialing(_ command: DialCommand) async throws -> AttemptUpdate {
        try command.validate()
        let attempt = try existingAttempt(command.workspaceId, command.attemptId)
        let timeZone = try workspaceTimeZone(command.workspaceId)
        let listed = calls.doNotCall[command.workspaceId]?[attempt.phoneNumber] != nil
        let event: AttemptEvent = attempt.status == .waiting && listed ? .dncFiltered : .dialingStarted
        let hold = attemptHold(command.workspaceId, attempt.id)
        let plan = try AttemptStep.plan(event, attempt: attempt, hold: hold)
        do {
            return try perform(
                plan, original: attempt, hold: hold, eventId: SystemEventID.dial(attempt.id), source: "dial",
                reason: listed ? "dnc_listed" : nil, timeoutSeconds: command.holdTimeoutSeconds, timeZone: timeZone)
        } catch let refusal as LedgerRefusal where refusal.code == .outOfCredits && command.whenOutOfCredits == .cancel
        {
            let cancel = try AttemptStep.plan(.cancelled, attempt: attempt, hold: hold)
            return try perform(
                cancel, original: attempt, hold: hold, eventId: SystemEventID.dial(attempt.id), source: "dial",
                reason: "out_of_credits", timeoutSeconds: command.holdTimeoutSeconds, timeZone: timeZone)
        }
    }

    public func applyEvent(_ command: AttemptEventCommand) async throws -> AttemptUpdate {
        try command.validate()
        let attempt = try existingAttempt(command.workspaceId, command.attemptId)
        if let record = calls.events[command.workspaceId + "/" + command.eventId] {
            try CallStoreChecks.replay(command, record)
            return AttemptUpdate(
                attempt: attempt, disposition: record.disposition, ledgerAction: record.ledgerAction, replayed: true)
        }
        let timeZone = try workspaceTimeZone(command.workspaceId)
        let hold = attemptHold(command.workspaceId, attempt.id)
        let plan = try AttemptStep.plan(command.event, attempt: attempt, hold: hold)
        return try perform(
            plan, original: attempt, hold: hold, eventId: command.eventId, source: command.source, reason: nil,
            timeoutSeconds: Limits.holdTimeoutSecondsDefault, timeZone: timeZone, recordAlways: true)
    }

    public func cancelAttempt(workspaceId: WorkspaceID, attemptId: AttemptID, reason: String?) async throws
        -> AttemptUpdate
    {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        let attempt = try existingAttempt(workspaceId, attemptId)
        let timeZone = try workspaceTimeZone(workspaceId)
        let hold = attemptHold(workspaceId, attemptId)
        let plan = try AttemptStep.plan(.cancelled, attempt: attempt, hold: hold)
        return try perform(
            plan, original: attempt, hold: hold, eventId: SystemEventID.cancel(attemptId), source: "cancel",
            reason: try CallStoreChecks.reason(reason), timeoutSeconds: Limits.holdTimeoutSecondsDefault,
            timeZone: timeZone)
    }

    public func cancelWaitingAttempts(
        workspaceId: WorkspaceID, campaignId: CampaignID, reason: String?, limit: Int
    ) async throws -> [CallAttempt] {
        try Limits.checkIdentifier(campaignId, field: "campaignId")
        let reason = try CallStoreChecks.reason(reason)
        let timeZone = try workspaceTimeZone(workspaceId)
        let waiting = calls.attempts.values
            .filter { $0.workspaceId == workspaceId && $0.campaignId == campaignId && $0.status == .waiting }
            .sorted { $0.id < $1.id }.prefix(max(0, limit))
        var cancelled: [CallAttempt] = []
        for attempt in waiting {
            let plan = try AttemptStep.plan(.cancelled, attempt: attempt, hold: nil)
            let update = try perform(
                plan, original: attempt, hold: nil, eventId: SystemEventID.cancel(attempt.id), source: "cancel",
                reason: reason, timeoutSeconds: Limits.holdTimeoutSecondsDefault, timeZone: timeZone)
            cancelled.append(update.attempt)
        }
        return cancelled
    }

    public func reconcileAttempts(limit: Int) async throws -> [CallAttempt] {
        let drifted = calls.attempts.values
            .filter { $0.status == .calling && $0.charge == .held }
            .sorted { $0.id < $1.id }
            .compactMap { attempt -> CallAttempt? in
                let hold = holdsByAttempt[attempt.workspaceId + "/" + attempt.id].flatMap { holds[$0] }
                let aligned = AttemptStep.aligned(attempt, hold: hold)
                return aligned == attempt ? nil : aligned
            }
            .prefix(max(0, limit))
        for attempt in drifted { calls.attempts[attempt.workspaceId + "/" + attempt.id] = attempt }
        return Array(drifted)
    }

    public func attempt(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> CallAttempt? {
        calls.attempts[workspaceId + "/" + attemptId]
    }

    public func attempts(workspaceId: WorkspaceID, ids: [AttemptID]) async throws -> [CallAttempt] {
        try CallStoreChecks.attemptIds(ids)
        return Set(ids).compactMap { calls.attempts[workspaceId + "/" + $0] }
    }

    public func attempts(_ query: AttemptQuery) async throws -> AttemptPage {
        try query.validate()
        let matching = calls.attempts.values
            .filter { attempt in
                attempt.workspaceId == query.workspaceId
                    && (query.campaignId == nil || attempt.campaignId == query.campaignId)
                    && (query.recipientId == nil || attempt.recipientId == query.recipientId)
                    && (query.walletId == nil || attempt.walletId == query.walletId)
                    && (query.statuses.isEmpty || query.statuses.contains(attempt.status))
                    && (query.needsReconciliation == nil || attempt.needsReconciliation == query.needsReconciliation)
                    && (query.after == nil || attempt.id > query.after!)
            }
            .sorted { $0.id < $1.id }
        return AttemptPage(fetched: Array(matching.prefix(query.limit + 1)), limit: query.limit)
    }

    public func attemptEvents(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> [AttemptEventRecord] {
        (calls.eventsByAttempt[workspaceId + "/" + attemptId] ?? []).compactMap {
            calls.events[workspaceId + "/" + $0]
        }
    }

    public func usage(_ query: UsageQuery) async throws -> UsageReport {
        try query.validate()
        guard let workspace = workspaces[query.workspaceId] else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        if let walletId = query.walletId { _ = try ownWallet(query.workspaceId, walletId) }
        let rows = calls.usage.filter { key, _ in
            key.workspaceId == query.workspaceId && key.day >= query.from && key.day <= query.to
                && (query.walletId == nil || key.walletId == query.walletId)
        }
        return UsageReport(query: query, timeZone: workspace.timeZone, rows: Array(rows.values))
    }

    public func positionStatistics(workspaceId: WorkspaceID, from: CalendarDay, to: CalendarDay) async throws
        -> [PositionStatistics]
    {
        var rows: [(position: Int, outcome: CallOutcome, attempts: Int64)] = []
        for (key, count) in calls.positions
        where key.workspaceId == workspaceId && key.day >= from && key.day <= to {
            rows.append((key.position, key.outcome, count))
        }
        return PositionStatistics.from(rows)
    }

    // MARK: Helpers

    /// Performs a plan: the ledger action on the attempt's hold, then the attempt, its usage and its
    /// event record, all in this one actor step (the memory store's transaction).
    private func perform(
        _ plan: AttemptPlan, original: CallAttempt, hold: Hold?, eventId: String, source: String, reason: String?,
        timeoutSeconds: Int, timeZone: TimeZone, recordAlways: Bool = false
    ) throws -> AttemptUpdate {
        let now = clock.now()
        var after = hold
        var change = LedgerChange()
        switch plan.ledgerAction {
        case .none:
            break
        case .hold:
            let wallet = try ownWallet(original.workspaceId, original.walletId)
            let command = HoldCommand(
                workspaceId: original.workspaceId, walletId: wallet.id, attemptId: original.id,
                timeoutSeconds: timeoutSeconds)
            let result: HoldResult
            (result, change) = try Ledger.hold(
                command, wallet: wallet, existing: hold, lots: spendableLots(wallet.id), now: now, ids: ids)
            after = result.hold
        case .capture:
            guard let hold else { preconditionFailure("a capture needs the attempt's hold") }
            let result: HoldResult
            (result, change) = try Ledger.capture(
                hold, lot: hold.lotId.flatMap { lots[$0] }, lots: spendableLots(hold.walletId), now: now, ids: ids)
            after = result.hold
        case .release:
            guard let hold else { preconditionFailure("a release needs the attempt's hold") }
            let result: HoldResult
            (result, change) = try Ledger.release(
                hold, lot: hold.lotId.flatMap { lots[$0] }, reason: AttemptStep.releaseReason(for: plan.event),
                now: now, ids: ids)
            after = result.hold
        }
        // Nothing was written before this point: a refusal above leaves everything as it was.
        let (next, usage) = AttemptStep.finish(plan, hold: after, reason: reason, now: now, timeZone: timeZone)
        apply(change)
        if next != original { save(next, usage: usage, timeZone: timeZone) }
        let record = AttemptEventRecord(
            eventId: eventId, attemptId: original.id, event: plan.event.code, source: source,
            disposition: plan.transition.disposition, ledgerAction: plan.ledgerAction, receivedAt: now)
        if recordAlways || plan.transition.disposition == .applied {
            self.record(record, workspaceId: original.workspaceId)
        }
        return AttemptUpdate(
            attempt: next, disposition: plan.transition.disposition, ledgerAction: plan.ledgerAction, replayed: false)
    }

    private func save(_ attempt: CallAttempt, usage: UsageRollupRow?, timeZone: TimeZone) {
        let previous = calls.attempts[attempt.workspaceId + "/" + attempt.id]
        calls.attempts[attempt.workspaceId + "/" + attempt.id] = attempt
        guard let usage else { return }
        precondition(previous.map { !$0.status.isFinal } ?? true, "an attempt ends once")
        let key = MemoryCallState.UsageKey(
            workspaceId: attempt.workspaceId, day: usage.day, walletId: usage.walletId, campaignId: usage.campaignId,
            outcome: usage.outcome)
        var row =
            calls.usage[key]
            ?? UsageRollupRow(
                day: usage.day, walletId: usage.walletId, campaignId: usage.campaignId, outcome: usage.outcome,
                attempts: 0, credits: 0, refunds: 0, uncollected: 0)
        row.attempts += usage.attempts
        row.credits += usage.credits
        row.refunds += usage.refunds
        row.uncollected += usage.uncollected
        calls.usage[key] = row
        if let position = AttemptStep.positionIncrement(for: attempt, timeZone: timeZone) {
            let positionKey = MemoryCallState.PositionKey(
                workspaceId: attempt.workspaceId, day: position.day, position: position.position,
                outcome: position.outcome)
            calls.positions[positionKey, default: 0] += 1
        }
    }

    /// Keeps the first record under an event id (system ids repeat when an operation is repeated).
    private func record(_ record: AttemptEventRecord, workspaceId: WorkspaceID) {
        let key = workspaceId + "/" + record.eventId
        guard calls.events[key] == nil else { return }
        calls.events[key] = record
        calls.eventsByAttempt[workspaceId + "/" + record.attemptId, default: []].append(record.eventId)
    }

    /// The sweeper released `hold` by its timeout: its attempt follows in the same actor step.
    func attemptTimedOut(_ hold: Hold, now: Date) {
        let key = hold.workspaceId + "/" + hold.attemptId
        guard let attempt = calls.attempts[key], let next = AttemptStep.timedOut(attempt, now: now) else { return }
        calls.attempts[key] = next
        record(
            AttemptEventRecord(
                eventId: SystemEventID.timeout(attempt.id), attemptId: attempt.id, event: AttemptEvent.holdTimeout.code,
                source: "sweeper", disposition: .applied, ledgerAction: .release, receivedAt: now),
            workspaceId: hold.workspaceId)
    }

    private func attemptHold(_ workspaceId: WorkspaceID, _ attemptId: AttemptID) -> Hold? {
        holdsByAttempt[workspaceId + "/" + attemptId].flatMap { holds[$0] }
    }

    private func existingAttempt(_ workspaceId: WorkspaceID, _ attemptId: AttemptID) throws -> CallAttempt {
        guard let attempt = calls.attempts[workspaceId + "/" + attemptId] else {
            guard workspaces[workspaceId] != nil else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
            throw LedgerRefusal(.unknownAttempt, "no attempt \(attemptId) in this workspace")
        }
        return attempt
    }

    private func workspaceTimeZone(_ workspaceId: WorkspaceID) throws(LedgerRefusal) -> TimeZone {
        guard let workspace = workspaces[workspaceId] else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        return TimeZone(identifier: workspace.timeZone) ?? .gmt
    }
}
