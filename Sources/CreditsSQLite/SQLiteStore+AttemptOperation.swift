import CreditsCore
import CreditsStore
import Foundation
import GRDB

/// What one attempt operation loaded and how to record it.
struct AttemptOperation {
    var original: CallAttempt
    /// The attempt's hold and, while it is held, its lot.
    var hold: Hold?
    var lot: Lot?
    var eventId: String
    var source: String
    var reason: String?
    var timeoutSeconds: Int
    var timeZone: TimeZone
    /// Record the event even when it changed nothing (client events: their id must replay).
    var recordAlways: Bool
}

/// What the writer job needs from the store, captured once so the job does not hold the store.
struct SQLiteOperationContext: Sendable {
    let clock: any CreditsClock
    let ids: any IDSource
    let wallets: WalletCache
    let timeZones: RowCache<TimeZone>

    func timeZone(_ db: Database, _ workspaceId: WorkspaceID) throws -> TimeZone {
        try SQLiteCallRows.timeZone(db, workspaceId, cache: timeZones)
    }
}

extension SQLiteStore {
    var operationContext: SQLiteOperationContext {
        SQLiteOperationContext(clock: clockSource, ids: idSource, wallets: walletCache, timeZones: timeZoneCache)
    }

    /// Performs a plan inside the writer's transaction: the ledger action on the attempt's hold, then the
    /// attempt row, its usage and its event record. Everything that can refuse runs before the first write.
    static func perform(
        _ plan: AttemptPlan, _ step: AttemptOperation, _ context: SQLiteOperationContext, _ db: Database
    ) throws -> AttemptUpdate {
        let now = context.clock.now()
        let original = step.original
        var after = step.hold
        var change = LedgerChange()
        switch plan.ledgerAction {
        case .none:
            break
        case .hold:
            let wallet = try SQLiteRows.wallet(
                db, workspaceId: original.workspaceId, walletId: original.walletId, cache: context.wallets)
            let lots = step.hold == nil ? try SQLiteRows.spendableLots(db, walletId: wallet.id) : []
            let command = HoldCommand(
                workspaceId: original.workspaceId, walletId: wallet.id, attemptId: original.id,
                timeoutSeconds: step.timeoutSeconds)
            let result: HoldResult
            (result, change) = try Ledger.hold(
                command, wallet: wallet, existing: step.hold, lots: lots, now: now, ids: context.ids)
            after = result.hold
        case .capture:
            guard let hold = step.hold else { preconditionFailure("a capture needs the attempt's hold") }
            let late = hold.state == .released && hold.releaseReason == .timeout
            let lots = late ? try SQLiteRows.spendableLots(db, walletId: hold.walletId) : []
            let result: HoldResult
            (result, change) = try Ledger.capture(hold, lot: step.lot, lots: lots, now: now, ids: context.ids)
            after = result.hold
        case .release:
            guard let hold = step.hold else { preconditionFailure("a release needs the attempt's hold") }
            let result: HoldResult
            (result, change) = try Ledger.release(
                hold, lot: step.lot, reason: AttemptStep.releaseReason(for: plan.event), now: now, ids: context.ids)
            after = result.hold
        }
        // Nothing was written before this point.
        let (next, usage) = AttemptStep.finish(
            plan, hold: after, reason: step.reason, now: now, timeZone: step.timeZone)
        try SQLiteRows.apply(change, db)
        if next != original {
            try SQLiteCallRows.update(next, db)
            if let usage { try SQLiteCallRows.addUsage(usage, for: next, timeZone: step.timeZone, db) }
        }
        if step.recordAlways || plan.transition.disposition == .applied {
            try SQLiteCallRows.record(
                AttemptEventRecord(
                    eventId: step.eventId, attemptId: original.id, event: plan.event.code, source: step.source,
                    disposition: plan.transition.disposition, ledgerAction: plan.ledgerAction, receivedAt: now),
                workspaceId: original.workspaceId, db)
        }
        return AttemptUpdate(
            attempt: next, disposition: plan.transition.disposition, ledgerAction: plan.ledgerAction, replayed: false)
    }
}

extension SQLiteCallRows {
    /// The attempt columns prefixed with `a.` and the hold columns with `h.`, for joins.
    static let attemptQualifiedColumns = SQLiteRows.qualified(attemptColumns, "a")
    static let holdQualifiedColumns = SQLiteRows.qualified(SQLiteRows.holdColumns, "h")

    /// A usage rollup row; nil for an outcome this version does not know.
    static func usageRow(_ row: Columns) -> UsageRollupRow? {
        guard let day = CalendarDay(number: Int(row.integer(0))), let outcome = CallOutcome(rawValue: row.text(3))
        else { return nil }
        let campaign = row.text(2)
        return UsageRollupRow(
            day: day, walletId: row.text(1), campaignId: campaign.isEmpty ? nil : campaign, outcome: outcome,
            attempts: row.integer(4), credits: row.integer(5), refunds: row.integer(6), uncollected: row.integer(7))
    }
}
