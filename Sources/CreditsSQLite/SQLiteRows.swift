import CreditsCore
import CreditsStore
import Foundation
import GRDB
import Synchronization

/// Reading and writing ledger rows. Times are INTEGER milliseconds (UTC); credits are INTEGER.
/// Hot statements use `cachedStatement` with bound arguments: prepared once per connection.
enum SQLiteRows {
    static func date(_ columns: Columns, _ index: Int32) -> Date {
        Date(millisecondsSince1970: columns.integer(index))
    }

    static func optionalDate(_ columns: Columns, _ index: Int32) -> Date? {
        columns.optionalInteger(index).map(Date.init(millisecondsSince1970:))
    }

    // Column lists, read by position.

    static let workspaceColumns = "id, name, time_zone, created_at"
    static func workspace(_ row: Columns) -> Workspace {
        Workspace(id: row.text(0), name: row.text(1), timeZone: row.text(2), createdAt: date(row, 3))
    }

    static let walletColumns = "id, workspace_id, kind, member_id, created_at"
    static func wallet(_ row: Columns) -> Wallet {
        Wallet(
            id: row.text(0), workspaceId: row.text(1), kind: WalletKind(rawValue: row.text(2)) ?? .pool,
            memberId: row.optionalText(3), createdAt: date(row, 4))
    }

    static let lotColumns =
        "id, workspace_id, wallet_id, source, amount, remaining, held, effective_at, expires_at, created_at, reference"
    static func lot(_ row: Columns) -> Lot {
        Lot(
            id: row.text(0), workspaceId: row.text(1), walletId: row.text(2),
            source: LotSource(rawValue: row.text(3)) ?? .adjustment, amount: Credits(row.integer(4)),
            remaining: Credits(row.integer(5)), held: Credits(row.integer(6)), effectiveAt: date(row, 7),
            expiresAt: optionalDate(row, 8), createdAt: date(row, 9), reference: row.optionalText(10))
    }

    static let holdColumns = """
        id, workspace_id, wallet_id, lot_id, attempt_id, state, created_at, expires_at, ended_at, release_reason,
        needs_reconciliation
        """
    static func hold(_ row: Columns) -> Hold {
        Hold(
            id: row.text(0), workspaceId: row.text(1), walletId: row.text(2), lotId: row.optionalText(3),
            attemptId: row.text(4), state: HoldState(rawValue: row.text(5)) ?? .held, createdAt: date(row, 6),
            expiresAt: date(row, 7), endedAt: optionalDate(row, 8),
            releaseReason: row.optionalText(9).flatMap(ReleaseReason.init(rawValue:)),
            needsReconciliation: row.integer(10) != 0)
    }

    static let entryColumns =
        "id, workspace_id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason, created_at"
    static func entry(_ row: Columns) -> LedgerEntry {
        LedgerEntry(
            id: row.text(0), workspaceId: row.text(1), walletId: row.text(2), lotId: row.optionalText(3),
            holdId: row.optionalText(4), attemptId: row.optionalText(5),
            kind: EntryKind(rawValue: row.text(6)) ?? .grant, amount: Credits(row.integer(7)), reason: row.text(8),
            createdAt: date(row, 9))
    }

    static let apiKeyColumns = "id, workspace_id, name, prefix, hash, created_at, revoked_at, person_id, role"
    static func apiKey(_ row: Columns) -> APIKey {
        APIKey(
            id: row.text(0), workspaceId: row.text(1), name: row.text(2), prefix: row.text(3), hash: row.text(4),
            createdAt: date(row, 5), revokedAt: optionalDate(row, 6), personId: row.optionalText(7) ?? "",
            role: Role(rawValue: row.text(8)) ?? .member)
    }

    // MARK: Loads used inside write transactions
    // SQL texts are built once: `cachedStatement` hashes the text on every call, and building it each time
    // showed up as a fifth of the writer's time in a profile.

    private static let walletByIdSQL = "SELECT \(walletColumns) FROM wallets WHERE id = ?"
    private static let spendableLotsSQL = "SELECT \(lotColumns) FROM lots WHERE wallet_id = ? AND remaining > 0"
    private static let lotByIdSQL = "SELECT \(lotColumns) FROM lots WHERE id = ?"
    private static let holdByAttemptSQL = "SELECT \(holdColumns) FROM holds WHERE workspace_id = ? AND attempt_id = ?"

    /// The wallet, from `cache` when it was read before: a wallet row never changes once written.
    static func wallet(
        _ db: Database, workspaceId: WorkspaceID, walletId: WalletID, cache: WalletCache
    ) throws -> Wallet {
        if let cached = cache[walletId], cached.workspaceId == workspaceId { return cached }
        let statement = try db.cachedStatement(sql: walletByIdSQL)
        if let found = try RawStatement.first(statement, [.text(walletId)], wallet), found.workspaceId == workspaceId {
            cache[walletId] = found
            return found
        }
        let workspace = try db.cachedStatement(sql: "SELECT 1 FROM workspaces WHERE id = ?")
        guard try RawStatement.first(workspace, [.text(workspaceId)], { _ in true }) != nil else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        throw LedgerRefusal(.walletNotFound, "no wallet \(walletId) in this workspace")
    }

    private static let spendableLotsAndHoldSQL = """
        SELECT \(lotColumns), EXISTS (SELECT 1 FROM holds WHERE workspace_id = ? AND attempt_id = ?)
        FROM lots WHERE wallet_id = ? AND remaining > 0
        """

    /// The wallet's spendable lots and whether `attemptId` already has a hold, in one statement (a hold's
    /// common case: new attempt, credits left). With no spendable lot the second answer is false: ask again.
    static func spendableLots(
        _ db: Database, walletId: WalletID, workspaceId: WorkspaceID, attemptId: AttemptID
    ) throws -> (lots: [Lot], attemptHasHold: Bool) {
        var attemptHasHold = false
        let lots = try RawStatement.query(
            db.cachedStatement(sql: spendableLotsAndHoldSQL), [.text(workspaceId), .text(attemptId), .text(walletId)]
        ) { row in
            attemptHasHold = attemptHasHold || row.integer(11) != 0
            return lot(row)
        }
        return (lots, attemptHasHold)
    }

    static func spendableLots(_ db: Database, walletId: WalletID) throws -> [Lot] {
        let statement = try db.cachedStatement(sql: spendableLotsSQL)
        return try RawStatement.query(statement, [.text(walletId)], lot)
    }

    static func lot(_ db: Database, id: LotID?) throws -> Lot? {
        guard let id else { return nil }
        return try RawStatement.first(
            db.cachedStatement(sql: lotByIdSQL), [.text(id)], lot)
    }

    /// A column list with each column prefixed by `table` (`a.id, a.name`), for joins.
    static func qualified(_ columns: String, _ table: String) -> String {
        columns.split(separator: ",").map { table + "." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .joined(separator: ", ")
    }

    /// Hold columns, then lot columns, for reading a hold and its lot in one statement.
    private static let holdWithLotSQL = """
        SELECT \(qualified(holdColumns, "h")), \(qualified(lotColumns, "l"))
        FROM holds h LEFT JOIN lots l ON l.id = h.lot_id AND h.state = 'held'
        WHERE h.workspace_id = ? AND h.attempt_id = ?
        """

    /// The attempt's hold with the lot it holds a credit from (nil once the hold has ended), in one read.
    static func holdWithLot(_ db: Database, workspaceId: WorkspaceID, attemptId: AttemptID) throws -> (Hold, Lot?)? {
        try RawStatement.first(db.cachedStatement(sql: holdWithLotSQL), [.text(workspaceId), .text(attemptId)]) { row in
            let lotColumns = row.shifted(by: 11)
            return (hold(row), lotColumns.isNull(0) ? nil : lot(lotColumns))
        }
    }

    static func hold(_ db: Database, workspaceId: WorkspaceID, attemptId: AttemptID) throws -> Hold? {
        let statement = try db.cachedStatement(sql: holdByAttemptSQL)
        return try RawStatement.first(statement, [.text(workspaceId), .text(attemptId)], hold)
    }

    // MARK: Writing a change

    private static func holdValues(_ hold: Hold) -> [SQLValue] {
        [
            .text(hold.id), .text(hold.workspaceId), .text(hold.walletId), .text(hold.lotId),
            .text(hold.attemptId), .text(hold.state.rawValue), .integer(hold.createdAt.millisecondsSince1970),
            .integer(hold.expiresAt.millisecondsSince1970), .integer(hold.endedAt?.millisecondsSince1970),
            .text(hold.releaseReason?.rawValue), .integer(hold.needsReconciliation ? 1 : 0),
        ]
    }

    /// Writes what the core decided, in the caller's transaction.
    static func apply(_ change: LedgerChange, _ db: Database) throws {
        for lot in change.insertedLots {
            try RawStatement.execute(
                db.cachedStatement(
                    sql: """
                        INSERT INTO lots (id, workspace_id, wallet_id, source, amount, remaining, held, effective_at,
                                          expires_at, created_at, reference)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """),
                [
                    .text(lot.id), .text(lot.workspaceId), .text(lot.walletId), .text(lot.source.rawValue),
                    .integer(lot.amount.count), .integer(lot.remaining.count), .integer(lot.held.count),
                    .integer(lot.effectiveAt.millisecondsSince1970), .integer(lot.expiresAt?.millisecondsSince1970),
                    .integer(lot.createdAt.millisecondsSince1970), .text(lot.reference),
                ])
        }
        for lot in change.updatedLots {
            try RawStatement.execute(
                db.cachedStatement(sql: "UPDATE lots SET remaining = ?, held = ? WHERE id = ?"),
                [.integer(lot.remaining.count), .integer(lot.held.count), .text(lot.id)])
        }
        for hold in change.insertedHolds {
            try RawStatement.execute(
                db.cachedStatement(
                    sql: """
                        INSERT INTO holds (id, workspace_id, wallet_id, lot_id, attempt_id, state, created_at,
                                           expires_at, ended_at, release_reason, needs_reconciliation)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """),
                holdValues(hold))
        }
        for hold in change.updatedHolds {
            try RawStatement.execute(
                db.cachedStatement(
                    sql: """
                        UPDATE holds SET lot_id = ?, state = ?, ended_at = ?, release_reason = ?,
                                         needs_reconciliation = ?
                        WHERE workspace_id = ? AND attempt_id = ?
                        """),
                [
                    .text(hold.lotId), .text(hold.state.rawValue), .integer(hold.endedAt?.millisecondsSince1970),
                    .text(hold.releaseReason?.rawValue), .integer(hold.needsReconciliation ? 1 : 0),
                    .text(hold.workspaceId), .text(hold.attemptId),
                ])
        }
        for entry in change.entries {
            try RawStatement.execute(
                db.cachedStatement(
                    sql: """
                        INSERT INTO entries (id, workspace_id, wallet_id, lot_id, hold_id, attempt_id, kind, amount,
                                             reason, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """),
                [
                    .text(entry.id), .text(entry.workspaceId), .text(entry.walletId), .text(entry.lotId),
                    .text(entry.holdId), .text(entry.attemptId), .text(entry.kind.rawValue),
                    .integer(entry.amount.count), .text(entry.reason), .integer(entry.createdAt.millisecondsSince1970),
                ])
        }
    }
}

/// Rows that never change once written, already read, by id: wallets (a wallet row is immutable) and the
/// workspaces' time zones (set when the workspace is made). A cached value is never stale.
final class RowCache<Value: Sendable>: Sendable {
    /// More rows than this and the cache starts over: memory stays bounded on huge installations.
    static var countMax: Int { 100_000 }
    private let values = Mutex<[String: Value]>([:])

    subscript(id: String) -> Value? {
        get { values.withLock { $0[id] } }
        set {
            values.withLock { values in
                if values.count >= Self.countMax { values.removeAll(keepingCapacity: true) }
                values[id] = newValue
            }
        }
    }
}

typealias WalletCache = RowCache<Wallet>
