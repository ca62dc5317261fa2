import CreditsCore
import CreditsStore
import Foundation
import GRDB

/// Reading and writing ledger rows. Times are INTEGER milliseconds (UTC); credits are INTEGER.
/// Hot statements use `cachedStatement` with bound arguments: prepared once per connection.
enum SQLiteRows {
    static func date(_ row: Row, _ column: String) -> Date {
        Date(millisecondsSince1970: row[column])
    }

    static func optionalDate(_ row: Row, _ column: String) -> Date? {
        (row[column] as Int64?).map(Date.init(millisecondsSince1970:))
    }

    static func workspace(_ row: Row) -> Workspace {
        Workspace(id: row["id"], name: row["name"], timeZone: row["time_zone"], createdAt: date(row, "created_at"))
    }

    static func wallet(_ row: Row) -> Wallet {
        Wallet(
            id: row["id"], workspaceId: row["workspace_id"], kind: WalletKind(rawValue: row["kind"]) ?? .pool,
            memberId: row["member_id"], createdAt: date(row, "created_at"))
    }

    static func lot(_ row: Row) -> Lot {
        Lot(
            id: row["id"], workspaceId: row["workspace_id"], walletId: row["wallet_id"],
            source: LotSource(rawValue: row["source"]) ?? .adjustment, amount: Credits(row["amount"]),
            remaining: Credits(row["remaining"]), held: Credits(row["held"]), effectiveAt: date(row, "effective_at"),
            expiresAt: optionalDate(row, "expires_at"), createdAt: date(row, "created_at"),
            reference: row["reference"])
    }

    static func hold(_ row: Row) -> Hold {
        Hold(
            id: row["id"], workspaceId: row["workspace_id"], walletId: row["wallet_id"], lotId: row["lot_id"],
            attemptId: row["attempt_id"], state: HoldState(rawValue: row["state"]) ?? .held,
            createdAt: date(row, "created_at"), expiresAt: date(row, "expires_at"),
            endedAt: optionalDate(row, "ended_at"),
            releaseReason: (row["release_reason"] as String?).flatMap(ReleaseReason.init(rawValue:)),
            needsReconciliation: row["needs_reconciliation"])
    }

    static func entry(_ row: Row) -> LedgerEntry {
        LedgerEntry(
            id: row["id"], workspaceId: row["workspace_id"], walletId: row["wallet_id"], lotId: row["lot_id"],
            holdId: row["hold_id"], attemptId: row["attempt_id"], kind: EntryKind(rawValue: row["kind"]) ?? .grant,
            amount: Credits(row["amount"]), reason: row["reason"], createdAt: date(row, "created_at"))
    }

    static func apiKey(_ row: Row) -> APIKey {
        APIKey(
            id: row["id"], workspaceId: row["workspace_id"], name: row["name"], prefix: row["prefix"],
            hash: row["hash"], createdAt: date(row, "created_at"), revokedAt: optionalDate(row, "revoked_at"))
    }

    // MARK: Loads used inside write transactions

    static func wallet(_ db: Database, workspaceId: WorkspaceID, walletId: WalletID) throws -> Wallet {
        let statement = try db.cachedStatement(sql: "SELECT * FROM wallets WHERE id = ?")
        if let row = try Row.fetchOne(statement, arguments: [walletId]), row["workspace_id"] == workspaceId {
            return wallet(row)
        }
        let workspace = try db.cachedStatement(sql: "SELECT 1 FROM workspaces WHERE id = ?")
        guard try Row.fetchOne(workspace, arguments: [workspaceId]) != nil else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        throw LedgerRefusal(.walletNotFound, "no wallet \(walletId) in this workspace")
    }

    static func spendableLots(_ db: Database, walletId: WalletID) throws -> [Lot] {
        let statement = try db.cachedStatement(sql: "SELECT * FROM lots WHERE wallet_id = ? AND remaining > 0")
        return try Row.fetchAll(statement, arguments: [walletId]).map(lot)
    }

    static func lot(_ db: Database, id: LotID?) throws -> Lot? {
        guard let id else { return nil }
        return try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM lots WHERE id = ?"), arguments: [id]).map(lot)
    }

    static func hold(_ db: Database, workspaceId: WorkspaceID, attemptId: AttemptID) throws -> Hold? {
        let statement = try db.cachedStatement(sql: "SELECT * FROM holds WHERE workspace_id = ? AND attempt_id = ?")
        return try Row.fetchOne(statement, arguments: [workspaceId, attemptId]).map(hold)
    }

    // MARK: Writing a change

    /// Writes what the core decided, in the caller's transaction.
    static func apply(_ change: LedgerChange, _ db: Database) throws {
        for lot in change.insertedLots {
            try db.cachedStatement(
                sql: """
                    INSERT INTO lots (id, workspace_id, wallet_id, source, amount, remaining, held, effective_at,
                                      expires_at, created_at, reference)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                lot.id, lot.workspaceId, lot.walletId, lot.source.rawValue, lot.amount.count, lot.remaining.count,
                lot.held.count, lot.effectiveAt.millisecondsSince1970, lot.expiresAt?.millisecondsSince1970,
                lot.createdAt.millisecondsSince1970, lot.reference,
            ])
        }
        for lot in change.updatedLots {
            try db.cachedStatement(sql: "UPDATE lots SET remaining = ?, held = ? WHERE id = ?")
                .execute(arguments: [lot.remaining.count, lot.held.count, lot.id])
        }
        for hold in change.insertedHolds {
            try db.cachedStatement(
                sql: """
                    INSERT INTO holds (id, workspace_id, wallet_id, lot_id, attempt_id, state, created_at, expires_at,
                                       ended_at, release_reason, needs_reconciliation)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                hold.id, hold.workspaceId, hold.walletId, hold.lotId, hold.attemptId, hold.state.rawValue,
                hold.createdAt.millisecondsSince1970, hold.expiresAt.millisecondsSince1970,
                hold.endedAt?.millisecondsSince1970, hold.releaseReason?.rawValue, hold.needsReconciliation,
            ])
        }
        for hold in change.updatedHolds {
            try db.cachedStatement(
                sql: """
                    UPDATE holds SET lot_id = ?, state = ?, ended_at = ?, release_reason = ?, needs_reconciliation = ?
                    WHERE id = ?
                    """
            ).execute(arguments: [
                hold.lotId, hold.state.rawValue, hold.endedAt?.millisecondsSince1970, hold.releaseReason?.rawValue,
                hold.needsReconciliation, hold.id,
            ])
        }
        for entry in change.entries {
            try db.cachedStatement(
                sql: """
                    INSERT INTO entries (id, workspace_id, wallet_id, lot_id, hold_id, attempt_id, kind, amount,
                                         reason, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                entry.id, entry.workspaceId, entry.walletId, entry.lotId, entry.holdId, entry.attemptId,
                entry.kind.rawValue, entry.amount.count, entry.reason, entry.createdAt.millisecondsSince1970,
            ])
        }
    }
}
