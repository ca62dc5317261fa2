import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

/// What one attempt operation loaded (the attempt and its hold, both locked) and how to record it.
struct PostgresAttemptOperation {
    var original: CallAttempt
    var hold: Hold?
    var eventId: String
    var source: String
    var reason: String?
    var timeoutSeconds: Int
    var timeZone: TimeZone
    /// Record the event even when it changed nothing (client events: their id must replay).
    var recordAlways: Bool
}

extension PostgresStore {
    /// Performs a plan in the caller's transaction: the ledger action on the attempt's hold (locking the
    /// wallet and lots as the ledger's own operations do), then the attempt row, its usage and its event
    /// record. Everything that can refuse runs before the first write.
    func perform(
        _ plan: AttemptPlan, _ step: PostgresAttemptOperation, on connection: PostgresConnection
    ) async throws -> AttemptUpdate {
        let now = now()
        let original = step.original
        var after = step.hold
        var change = LedgerChange()
        switch plan.ledgerAction {
        case .none:
            break
        case .hold:
            let wallet = try await lockWallet(original.workspaceId, original.walletId, on: connection)
            let lots = step.hold == nil ? try await lockSpendableLots(wallet, on: connection) : []
            let command = HoldCommand(
                workspaceId: original.workspaceId, walletId: wallet.id, attemptId: original.id,
                timeoutSeconds: step.timeoutSeconds)
            let result: HoldResult
            (result, change) = try Ledger.hold(
                command, wallet: wallet, existing: step.hold, lots: lots, now: now, ids: ids)
            after = result.hold
        case .capture:
            guard let hold = step.hold else { preconditionFailure("a capture needs the attempt's hold") }
            var lot: Lot?
            var lots: [Lot] = []
            if hold.state == .held {
                lot = try await lockLot(hold.workspaceId, hold.lotId, on: connection)
            } else if hold.state == .released && hold.releaseReason == .timeout {
                let wallet = try await lockWallet(hold.workspaceId, hold.walletId, on: connection)
                lots = try await lockSpendableLots(wallet, on: connection)
            }
            let result: HoldResult
            (result, change) = try Ledger.capture(hold, lot: lot, lots: lots, now: now, ids: ids)
            after = result.hold
        case .release:
            guard let hold = step.hold else { preconditionFailure("a release needs the attempt's hold") }
            let lot = hold.state == .held ? try await lockLot(hold.workspaceId, hold.lotId, on: connection) : nil
            let result: HoldResult
            (result, change) = try Ledger.release(
                hold, lot: lot, reason: AttemptStep.releaseReason(for: plan.event), now: now, ids: ids)
            after = result.hold
        }
        // Nothing was written before this point.
        let (next, usage) = AttemptStep.finish(
            plan, hold: after, reason: step.reason, now: now, timeZone: step.timeZone)
        try await write(change, on: connection)
        if next != original {
            try await save(next, on: connection)
            if let usage { try await addUsage(usage, for: next, timeZone: step.timeZone, on: connection) }
        }
        if step.recordAlways || plan.transition.disposition == .applied {
            try await record(
                AttemptEventRecord(
                    eventId: step.eventId, attemptId: original.id, event: plan.event.code, source: step.source,
                    disposition: plan.transition.disposition, ledgerAction: plan.ledgerAction, receivedAt: now),
                workspaceId: original.workspaceId, on: connection)
        }
        return AttemptUpdate(
            attempt: next, disposition: plan.transition.disposition, ledgerAction: plan.ledgerAction, replayed: false)
    }
}
