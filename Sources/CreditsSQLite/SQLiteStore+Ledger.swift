import CreditsCore
import CreditsStore
import Foundation
import GRDB

extension SQLiteStore {
    public func credit(_ command: CreditCommand) async throws -> CreditResult {
        try command.validate()
        let (clock, ids, wallets) = (self.clockSource, self.idSource, self.walletCache)
        return try await groupWriter.write { db in
            let wallet = try SQLiteRows.wallet(
                db, workspaceId: command.workspaceId, walletId: command.walletId, cache: wallets)
            let stored = try db.firstRow(
                "SELECT fingerprint, result, created_at FROM idempotency_keys WHERE workspace_id = ? AND key = ?",
                [.text(command.workspaceId), .text(command.idempotencyKey)]
            ) { row in
                IdempotencyRecord(
                    workspaceId: command.workspaceId, key: command.idempotencyKey, fingerprint: row.text(0),
                    result: Data(row.blob(1)), createdAt: SQLiteRows.date(row, 2))
            }
            if let record = stored {
                var result = try record.replay(fingerprint: command.fingerprint, as: CreditResult.self)
                result.replayed = true
                return result
            }
            let now = clock.now()
            let lots = command.amount < .zero ? try SQLiteRows.spendableLots(db, walletId: wallet.id) : []
            let (result, change) = try Ledger.credit(command, wallet: wallet, lots: lots, now: now, ids: ids)
            try SQLiteRows.apply(change, db)
            try db.cachedStatement(
                sql: """
                    INSERT INTO idempotency_keys (workspace_id, key, fingerprint, result, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                command.workspaceId, command.idempotencyKey, command.fingerprint,
                try JSONEncoder.ledger.encode(result), now.millisecondsSince1970,
            ])
            return result
        }
    }

    public func hold(_ command: HoldCommand) async throws -> HoldResult {
        try command.validate()
        let (clock, ids, wallets) = (self.clockSource, self.idSource, self.walletCache)
        return try await groupWriter.write { db in
            let wallet = try SQLiteRows.wallet(
                db, workspaceId: command.workspaceId, walletId: command.walletId, cache: wallets)
            // One read: the wallet's spendable lots, each row also saying whether the attempt already has a hold.
            let (lots, attemptHasHold) = try SQLiteRows.spendableLots(
                db, walletId: wallet.id, workspaceId: command.workspaceId, attemptId: command.attemptId)
            let existing =
                attemptHasHold || lots.isEmpty
                ? try SQLiteRows.hold(db, workspaceId: command.workspaceId, attemptId: command.attemptId) : nil
            let (result, change) = try Ledger.hold(
                command, wallet: wallet, existing: existing, lots: existing == nil ? lots : [], now: clock.now(),
                ids: ids)
            try SQLiteRows.apply(change, db)
            return result
        }
    }

    public func capture(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> HoldResult {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        let (clock, ids) = (self.clockSource, self.idSource)
        return try await groupWriter.write { db in
            let (hold, lot) = try Self.existingHold(db, workspaceId, attemptId)
            let late = hold.state == .released && hold.releaseReason == .timeout
            let lots = late ? try SQLiteRows.spendableLots(db, walletId: hold.walletId) : []
            let (result, change) = try Ledger.capture(hold, lot: lot, lots: lots, now: clock.now(), ids: ids)
            try SQLiteRows.apply(change, db)
            return result
        }
    }

    public func release(
        workspaceId: WorkspaceID, attemptId: AttemptID, reason: ReleaseReason
    ) async throws -> HoldResult {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        let (clock, ids) = (self.clockSource, self.idSource)
        return try await groupWriter.write { db in
            let (hold, lot) = try Self.existingHold(db, workspaceId, attemptId)
            let (result, change) = try Ledger.release(hold, lot: lot, reason: reason, now: clock.now(), ids: ids)
            try SQLiteRows.apply(change, db)
            return result
        }
    }

    public func hold(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> Hold? {
        try await readPool.read { db in try SQLiteRows.hold(db, workspaceId: workspaceId, attemptId: attemptId) }
    }

    public func balance(workspaceId: WorkspaceID, walletId: WalletID) async throws -> Balance {
        let now = clockSource.now()
        let wallets = walletCache
        return try await readPool.read { db in
            let wallet = try SQLiteRows.wallet(db, workspaceId: workspaceId, walletId: walletId, cache: wallets)
            let lots = try db.rows(
                "SELECT \(SQLiteRows.lotColumns) FROM lots WHERE wallet_id = ? AND (remaining > 0 OR held > 0)",
                [.text(wallet.id)], SQLiteRows.lot)
            return Balance(walletId: wallet.id, lots: lots, now: now)
        }
    }

    public func entries(_ query: EntryQuery) async throws -> EntryPage {
        try query.validate()
        return try await readPool.read { db in
            var conditions = ["workspace_id = ?"]
            var values: [SQLValue] = [.text(query.workspaceId)]
            if let walletId = query.walletId {
                conditions.append("wallet_id = ?")
                values.append(.text(walletId))
            }
            if let attemptId = query.attemptId {
                conditions.append("attempt_id = ?")
                values.append(.text(attemptId))
            }
            if let before = query.before {
                conditions.append("id < ?")
                values.append(.text(before))
            }
            values.append(.integer(Int64(query.limit + 1)))
            let sql = """
                SELECT \(SQLiteRows.entryColumns) FROM entries WHERE \(conditions.joined(separator: " AND "))
                ORDER BY id DESC LIMIT ?
                """
            return EntryPage(fetched: try db.rows(sql, values, SQLiteRows.entry), limit: query.limit)
        }
    }

    // MARK: Background work

    public func expireLots(limit: Int) async throws -> Int {
        let (clock, ids) = (self.clockSource, self.idSource)
        return try await groupWriter.write { db in
            let now = clock.now()
            let due = try db.rows(
                """
                SELECT \(SQLiteRows.lotColumns) FROM lots
                WHERE remaining > 0 AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?
                """, [.integer(now.millisecondsSince1970), .integer(Int64(limit))], SQLiteRows.lot)
            for lot in due { try SQLiteRows.apply(Ledger.expire(lot, now: now, ids: ids), db) }
            return due.count
        }
    }

    public func releaseTimedOutHolds(limit: Int) async throws -> [Hold] {
        let (clock, ids) = (self.clockSource, self.idSource)
        return try await groupWriter.write { db in
            let now = clock.now()
            let due = try db.rows(
                """
                SELECT \(SQLiteRows.holdColumns) FROM holds
                WHERE state = 'held' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?
                """, [.integer(now.millisecondsSince1970), .integer(Int64(limit))], SQLiteRows.hold)
            var released: [Hold] = []
            for hold in due {
                let lot = try SQLiteRows.lot(db, id: hold.lotId)
                let (result, change) = try Ledger.release(hold, lot: lot, reason: .timeout, now: now, ids: ids)
                try SQLiteRows.apply(change, db)
                // The hold's attempt (if any) follows in the same transaction: Calling, needs reconciliation.
                try SQLiteCallRows.attemptTimedOut(result.hold, now: now, db)
                released.append(result.hold)
            }
            return released
        }
    }

    public func verify() async throws -> [Discrepancy] {
        try await readPool.read { db in
            let lots = try db.rows("SELECT \(SQLiteRows.lotColumns) FROM lots", [], SQLiteRows.lot)
            let holds = try db.rows("SELECT \(SQLiteRows.holdColumns) FROM holds", [], SQLiteRows.hold)
            let entries = try db.rows("SELECT \(SQLiteRows.entryColumns) FROM entries", [], SQLiteRows.entry)
            return Verification.check(lots: lots, holds: holds, entries: entries)
        }
    }

    private static func existingHold(
        _ db: Database, _ workspaceId: WorkspaceID, _ attemptId: AttemptID
    ) throws -> (Hold, Lot?) {
        guard let found = try SQLiteRows.holdWithLot(db, workspaceId: workspaceId, attemptId: attemptId) else {
            throw LedgerRefusal(.unknownAttempt, "no hold for attempt \(attemptId)")
        }
        return found
    }
}
