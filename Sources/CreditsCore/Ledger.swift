import Foundation

/// The ledger's rules as pure functions: a store loads the rows, asks here what happens, and writes
/// the returned `LedgerChange` in the same transaction. No I/O and no clock: `now` is passed in.
public enum Ledger {
    /// Spending order: the credit that expires first is spent first; ties go to the older lot.
    public static func spendingOrder(_ lots: [Lot], now: Date) -> [Lot] {
        lots.filter { $0.isSpendable(at: now) }.sorted(by: spendsBefore)
    }

    /// Whether `lhs` is spent before `rhs`.
    public static func spendsBefore(_ lhs: Lot, _ rhs: Lot) -> Bool {
        let left = lhs.expiresAt ?? .distantFuture
        let right = rhs.expiresAt ?? .distantFuture
        if left != right { return left < right }
        if lhs.createdAt != rhs.createdAt { return lhs.createdAt < rhs.createdAt }
        return lhs.id < rhs.id
    }

    // MARK: Credits in and out

    /// Adds a lot (positive amount) or debits lots in spending order (negative adjustment).
    /// `lots` are the wallet's lots with remaining credit; only needed for a debit.
    public static func credit(
        _ command: CreditCommand, wallet: Wallet, lots: [Lot], now: Date, ids: some IDSource
    ) throws(LedgerRefusal) -> (CreditResult, LedgerChange) {
        try command.validate()
        precondition(wallet.id == command.walletId && wallet.workspaceId == command.workspaceId)
        var change = LedgerChange()
        if command.amount > .zero {
            let effectiveAt = command.effectiveAt ?? now
            if let expiresAt = command.expiresAt, expiresAt <= effectiveAt {
                throw .invalid("expiresAt must be after the time the lot takes effect")
            }
            let lot = Lot(
                id: ids.next(.lot), workspaceId: wallet.workspaceId, walletId: wallet.id, source: command.source,
                amount: command.amount, remaining: command.amount, held: .zero, effectiveAt: effectiveAt,
                expiresAt: command.expiresAt, createdAt: now, reference: command.reference)
            change.insertedLots.append(lot)
            change.entries.append(
                LedgerEntry(
                    id: ids.next(.entry), workspaceId: wallet.workspaceId, walletId: wallet.id, lotId: lot.id,
                    kind: command.source == .adjustment ? .adjustment : .grant, amount: command.amount,
                    reason: command.reason.isEmpty ? "grant (\(command.source.rawValue))" : command.reason,
                    createdAt: now))
            return (CreditResult(lot: lot, entries: change.entries), change)
        }
        var owed = -command.amount
        let spendable = spendingOrder(lots.filter { $0.walletId == wallet.id }, now: now)
        guard spendable.sum(\.remaining) >= owed else {
            throw LedgerRefusal(
                .outOfCredits, "the wallet has \(spendable.sum(\.remaining)) available credits; cannot debit \(owed)")
        }
        for var lot in spendable where owed > .zero {
            let taken = min(lot.remaining, owed)
            lot.remaining -= taken
            owed -= taken
            change.updatedLots.append(lot)
            change.entries.append(
                LedgerEntry(
                    id: ids.next(.entry), workspaceId: wallet.workspaceId, walletId: wallet.id, lotId: lot.id,
                    kind: .adjustment, amount: -taken,
                    reason: command.reason.isEmpty ? "debit adjustment" : command.reason, createdAt: now))
        }
        return (CreditResult(lot: nil, entries: change.entries), change)
    }

    // MARK: Holds

    /// Reserves one credit for an attempt from the first lot in spending order.
    /// A repeat for the same attempt and wallet returns the existing hold, whatever its state.
    public static func hold(
        _ command: HoldCommand, wallet: Wallet, existing: Hold?, lots: [Lot], now: Date, ids: some IDSource
    ) throws(LedgerRefusal) -> (HoldResult, LedgerChange) {
        try command.validate()
        if let existing {
            guard existing.walletId == command.walletId else {
                throw LedgerRefusal(
                    .idempotencyConflict, "attempt \(command.attemptId) already holds a credit from another wallet")
            }
            return (HoldResult(hold: existing, replayed: true), LedgerChange())
        }
        guard var lot = spendingOrder(lots.filter { $0.walletId == wallet.id }, now: now).first else {
            throw LedgerRefusal(.outOfCredits, "the wallet has no available credits")
        }
        lot.remaining -= .one
        lot.held += .one
        let hold = Hold(
            id: ids.next(.hold), workspaceId: wallet.workspaceId, walletId: wallet.id, lotId: lot.id,
            attemptId: command.attemptId, state: .held, createdAt: now,
            expiresAt: now.addingTimeInterval(TimeInterval(command.timeoutSeconds)))
        var change = LedgerChange()
        change.updatedLots.append(lot)
        change.insertedHolds.append(hold)
        change.entries.append(entry(.hold, for: hold, lot: lot.id, reason: "hold for attempt", now: now, ids: ids))
        return (HoldResult(hold: hold, replayed: false), change)
    }

    /// Charges the held credit. A repeat returns the first result. A hold that its timeout released
    /// is charged anew from whatever the wallet has (`lots`), or recorded as uncollected.
    public static func capture(
        _ hold: Hold, lot: Lot?, lots: [Lot], now: Date, ids: some IDSource
    ) throws(LedgerRefusal) -> (HoldResult, LedgerChange) {
        switch hold.state {
        case .captured, .uncollected:
            return (HoldResult(hold: hold, replayed: true), LedgerChange())
        case .released where hold.releaseReason == .timeout:
            return lateCapture(hold, lots: lots, now: now, ids: ids)
        case .released:
            throw LedgerRefusal(.holdAlreadyReleased, "the hold for attempt \(hold.attemptId) was already released")
        case .held:
            guard var lot, lot.id == hold.lotId else {
                preconditionFailure("a held hold must come with its lot")
            }
            precondition(lot.held > .zero, "lot \(lot.id) holds nothing for hold \(hold.id)")
            lot.held -= .one
            var ended = hold
            ended.state = .captured
            ended.endedAt = now
            var change = LedgerChange()
            change.updatedLots.append(lot)
            change.updatedHolds.append(ended)
            change.entries.append(entry(.capture, for: ended, lot: lot.id, reason: "connected", now: now, ids: ids))
            return (HoldResult(hold: ended, replayed: false), change)
        }
    }

    private static func lateCapture(
        _ hold: Hold, lots: [Lot], now: Date, ids: some IDSource
    ) -> (HoldResult, LedgerChange) {
        var ended = hold
        ended.endedAt = now
        ended.needsReconciliation = false
        var change = LedgerChange()
        if var lot = spendingOrder(lots.filter { $0.walletId == hold.walletId }, now: now).first {
            lot.remaining -= .one
            ended.state = .captured
            ended.lotId = lot.id
            change.updatedLots.append(lot)
            change.entries.append(
                entry(.hold, for: ended, lot: lot.id, reason: "late connect after timeout", now: now, ids: ids))
            change.entries.append(
                entry(.capture, for: ended, lot: lot.id, reason: "late connect after timeout", now: now, ids: ids))
        } else {
            ended.state = .uncollected
            change.entries.append(
                entry(.uncollected, for: ended, lot: nil, reason: "late connect; no credit left", now: now, ids: ids))
        }
        change.updatedHolds.append(ended)
        return (HoldResult(hold: ended, replayed: false), change)
    }

    /// Returns the held credit to its lot; if the lot has expired meanwhile, the credit expires with it.
    /// A repeat returns the first result; releasing a charged hold is refused.
    public static func release(
        _ hold: Hold, lot: Lot?, reason: ReleaseReason, now: Date, ids: some IDSource
    ) throws(LedgerRefusal) -> (HoldResult, LedgerChange) {
        switch hold.state {
        case .released:
            return (HoldResult(hold: hold, replayed: true), LedgerChange())
        case .captured, .uncollected:
            throw LedgerRefusal(.holdAlreadyCaptured, "the hold for attempt \(hold.attemptId) was already charged")
        case .held:
            guard var lot, lot.id == hold.lotId else {
                preconditionFailure("a held hold must come with its lot")
            }
            precondition(lot.held > .zero, "lot \(lot.id) holds nothing for hold \(hold.id)")
            var ended = hold
            ended.state = .released
            ended.endedAt = now
            ended.releaseReason = reason
            ended.needsReconciliation = reason == .timeout
            lot.held -= .one
            var change = LedgerChange()
            change.entries.append(
                entry(.release, for: ended, lot: lot.id, reason: "released: \(reason.rawValue)", now: now, ids: ids))
            if lot.isExpired(at: now) {
                change.entries.append(
                    entry(
                        .expiry, for: ended, lot: lot.id, reason: "released after its lot expired", now: now, ids: ids))
            } else {
                lot.remaining += .one
            }
            change.updatedLots.append(lot)
            change.updatedHolds.append(ended)
            return (HoldResult(hold: ended, replayed: false), change)
        }
    }

    /// Expires the unheld remainder of a lot whose time has passed. Held credits expire when released.
    public static func expire(_ lot: Lot, now: Date, ids: some IDSource) -> LedgerChange {
        var change = LedgerChange()
        guard lot.isExpired(at: now), lot.remaining > .zero else { return change }
        var expired = lot
        change.entries.append(
            LedgerEntry(
                id: ids.next(.entry), workspaceId: lot.workspaceId, walletId: lot.walletId, lotId: lot.id,
                kind: .expiry, amount: lot.remaining, reason: "lot expired", createdAt: now))
        expired.remaining = .zero
        change.updatedLots.append(expired)
        return change
    }

    private static func entry(
        _ kind: EntryKind, for hold: Hold, lot: LotID?, reason: String, now: Date, ids: some IDSource
    ) -> LedgerEntry {
        LedgerEntry(
            id: ids.next(.entry), workspaceId: hold.workspaceId, walletId: hold.walletId, lotId: lot,
            holdId: hold.id, attemptId: hold.attemptId, kind: kind, amount: .one, reason: reason, createdAt: now)
    }
}
