import CreditsCore
import CreditsStore
import Foundation
import GRDB

extension SQLiteStore {
    /// Reads the wallet's entries newest first, a page at a time, and stops at the first one older than the
    /// window (less a minute, since ids of one millisecond are not ordered): the cost follows the window,
    /// not the wallet's history. Entry ids are time-ordered, so the `entries_by_wallet` index serves it.
    public func spendingWindow(
        workspaceId: WorkspaceID, walletId: WalletID, since: Date
    ) async throws -> SpendingWindow {
        try await readPool.read { db in try Self.spendingWindow(db, walletId: walletId, since: since) }
    }

    static let spendingPageSize = 500

    static func spendingWindow(_ db: Database, walletId: WalletID, since: Date) throws -> SpendingWindow {
        let sinceMs = since.millisecondsSince1970
        let stopMs = sinceMs - 60_000
        var charged = Credits.zero
        var first: Int64?
        var cursor: String?
        var read = 0
        scan: while read < Limits.spendingWindowEntriesMax {
            let page = try db.rows(
                """
                SELECT id, kind, amount, created_at FROM entries
                WHERE wallet_id = ? AND id < ? ORDER BY id DESC LIMIT ?
                """, [.text(walletId), .text(cursor ?? "\u{10FFFF}"), .integer(Int64(spendingPageSize))]
            ) { row in (row.text(0), row.text(1), row.integer(2), row.integer(3)) }
            for (_, kind, amount, createdAt) in page {
                if createdAt < stopMs { break scan }
                guard createdAt >= sinceMs, kind == "hold" || kind == "capture" else { continue }
                if kind == "capture" { charged += Credits(amount) }
                first = min(first ?? createdAt, createdAt)
            }
            read += page.count
            guard page.count == spendingPageSize, let last = page.last else { break }
            cursor = last.0
        }
        return SpendingWindow(
            since: since, charged: charged, firstActivityAt: first.map(Date.init(millisecondsSince1970:)))
    }

    public func walletsWithOpenHolds(limit: Int) async throws -> [WalletRef] {
        try await readPool.read { db in
            try db.rows(
                "SELECT DISTINCT workspace_id, wallet_id FROM holds WHERE state = 'held' LIMIT ?",
                [.integer(Int64(max(limit, 0)))]
            ) { WalletRef(workspaceId: $0.text(0), walletId: $0.text(1)) }
        }
    }

    /// Reads the balance and the window from a snapshot, then decides and writes in the writer, where the
    /// alert states are read again: evaluations take turns there, so a crossing is notified once.
    public func evaluateWalletAlerts(workspaceId: WorkspaceID, walletId: WalletID) async throws -> [EmitResult] {
        let now = clockSource.now()
        let balance = try await balance(workspaceId: workspaceId, walletId: walletId)
        let window = try await spendingWindow(
            workspaceId: workspaceId, walletId: walletId, since: now.addingTimeInterval(-Runway.windowSeconds))
        let observation = WalletObservation(workspaceId: workspaceId, balance: balance, window: window)
        // Most passes change nothing: decide on a snapshot first and take the writer only when something would.
        let unchanged = try await readPool.read { db in
            let (changed, events) = WalletAlerts.evaluate(
                observation, settings: try NotificationRows.settings(db, workspaceId),
                states: try Self.alertStates(db, walletId), now: now)
            return changed.isEmpty && events.isEmpty
        }
        if unchanged { return [] }
        let ids = idSource
        return try await groupWriter.write { db in
            let settings = try NotificationRows.settings(db, workspaceId)
            let states = try Self.alertStates(db, walletId)
            let (changed, events) = WalletAlerts.evaluate(observation, settings: settings, states: states, now: now)
            var results: [EmitResult] = []
            for event in events { results.append(try Self.emit(event, db: db, now: now, ids: ids)) }
            for state in changed {
                try db.execute(
                    sql: """
                        INSERT INTO wallet_alerts (workspace_id, wallet_id, kind, crossings, fired_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (wallet_id, kind) DO UPDATE SET crossings = excluded.crossings,
                            fired_at = excluded.fired_at
                        """,
                    arguments: [
                        workspaceId, walletId, state.kind.rawValue, state.crossings,
                        state.firedAt?.millisecondsSince1970,
                    ])
            }
            return results
        }
    }

    static func alertStates(_ db: Database, _ walletId: WalletID) throws -> [WalletAlertState] {
        try db.rows(
            "SELECT kind, crossings, fired_at FROM wallet_alerts WHERE wallet_id = ?", [.text(walletId)],
            NotificationRows.alert
        ).compactMap { $0 }
    }
}
