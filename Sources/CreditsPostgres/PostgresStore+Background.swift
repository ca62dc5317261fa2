import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// Expires up to `limit` due lots. Candidates are found across workspaces without locks; then each
    /// workspace's share is locked with `FOR NO KEY UPDATE SKIP LOCKED` and re-checked in its own transaction, so
    /// several sweepers (and holds in progress) never wait on each other and never expire a lot twice.
    public func expireLots(limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        let now = now()
        let due = try await read("expireLots") { connection in
            try await rows(
                """
                SELECT workspace_id, id FROM lots
                WHERE expires_at_ms IS NOT NULL AND expires_at_ms <= \(now.millis) AND remaining > 0
                ORDER BY id LIMIT \(limit)
                """, on: connection
            ).map { try $0.decode((String, String).self) }
        }
        var expired = 0
        for (workspaceId, lotIds) in Self.groupedByWorkspace(due) {
            expired += try await transaction("expireLots") { connection in
                let lots = try await rows(
                    """
                    SELECT \(unescaped: Columns.lot) FROM lots
                    WHERE workspace_id = \(workspaceId) AND id = ANY(\(lotIds))
                      AND expires_at_ms <= \(now.millis) AND remaining > 0
                    ORDER BY id FOR NO KEY UPDATE SKIP LOCKED
                    """, on: connection
                ).map(Lot.init(row:))
                for lot in lots { try await write(Ledger.expire(lot, now: now, ids: ids), on: connection) }
                return lots.count
            }
        }
        return expired
    }

    /// Releases up to `limit` holds whose timeout passed, as `expireLots` does: unlocked candidates, then per
    /// workspace the holds are locked `SKIP LOCKED` (a capture in progress keeps its hold) and re-checked,
    /// their lots locked in id order, and each hold released in id order.
    public func releaseTimedOutHolds(limit: Int) async throws -> [Hold] {
        guard limit > 0 else { return [] }
        let now = now()
        let due = try await read("releaseTimedOutHolds") { connection in
            try await rows(
                """
                SELECT workspace_id, attempt_id FROM holds WHERE state = 'held' AND expires_at_ms <= \(now.millis)
                ORDER BY id LIMIT \(limit)
                """, on: connection
            ).map { try $0.decode((String, String).self) }
        }
        var released: [Hold] = []
        for (workspaceId, attemptIds) in Self.groupedByWorkspace(due) {
            released += try await transaction("releaseTimedOutHolds") { connection in
                let holds = try await rows(
                    """
                    SELECT \(unescaped: Columns.hold) FROM holds
                    WHERE workspace_id = \(workspaceId) AND attempt_id = ANY(\(attemptIds))
                      AND state = 'held' AND expires_at_ms <= \(now.millis)
                    ORDER BY id FOR NO KEY UPDATE SKIP LOCKED
                    """, on: connection
                ).map(Hold.init(row:))
                let lotIds = Array(Set(holds.compactMap(\.lotId)))
                var lots: [LotID: Lot] = [:]
                for row in try await rows(
                    """
                    SELECT \(unescaped: Columns.lot) FROM lots
                    WHERE workspace_id = \(workspaceId) AND id = ANY(\(lotIds))
                    ORDER BY id FOR NO KEY UPDATE
                    """, on: connection)
                {
                    let lot = try Lot(row: row)
                    lots[lot.id] = lot
                }
                var ended: [Hold] = []
                for hold in holds {
                    let (result, change) = try Ledger.release(
                        hold, lot: hold.lotId.flatMap { lots[$0] }, reason: .timeout, now: now, ids: ids)
                    for lot in change.updatedLots { lots[lot.id] = lot }
                    try await write(change, on: connection)
                    // The hold's attempt (if any) follows in the same transaction: Calling, needs reconciliation.
                    try await attemptTimedOut(result.hold, now: now, on: connection)
                    ended.append(result.hold)
                }
                return ended
            }
        }
        return released.sorted { $0.id < $1.id }
    }

    /// Loads every lot, hold and entry from one REPEATABLE READ snapshot (so writes in flight cannot show up
    /// as discrepancies) and recomputes them with `Verification.check`.
    public func verify() async throws -> [Discrepancy] {
        let (lots, holds, entries) = try await transaction("verify") { connection in
            try await execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", on: connection)
            let lots = try await rows("SELECT \(unescaped: Columns.lot) FROM lots", on: connection)
                .map(Lot.init(row:))
            let holds = try await rows("SELECT \(unescaped: Columns.hold) FROM holds", on: connection)
                .map(Hold.init(row:))
            let entries = try await rows("SELECT \(unescaped: Columns.entry) FROM entries ORDER BY id", on: connection)
                .map(LedgerEntry.init(row:))
            return (lots, holds, entries)
        }
        return Verification.check(lots: lots, holds: holds, entries: entries)
    }

    /// Groups (workspace, id) pairs by workspace, keeping the first-seen order of workspaces and ids.
    static func groupedByWorkspace(_ pairs: [(String, String)]) -> [(WorkspaceID, [String])] {
        var order: [WorkspaceID] = []
        var groups: [WorkspaceID: [String]] = [:]
        for (workspaceId, id) in pairs {
            if groups[workspaceId] == nil { order.append(workspaceId) }
            groups[workspaceId, default: []].append(id)
        }
        return order.map { ($0, groups[$0] ?? []) }
    }
}
