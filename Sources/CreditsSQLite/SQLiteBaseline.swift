import CreditsCore
import Foundation
import GRDB

/// The ceiling on the same file and settings: only the writes of a lifecycle, batched the way
/// `concurrency` callers are batched at best (one commit for their holds, one for their endings).
public enum SQLiteBaseline {
    /// Runs lifecycles for `seconds` in batches of `concurrency`; returns how many and each batch's time.
    public static func run(path: String, concurrency: Int, seconds: Double) throws -> (
        count: Int, elapsedSeconds: Double, batchMs: [Double]
    ) {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 4000")
        }
        let ids = TimeOrderedIDs()
        let now = Date().millisecondsSince1970
        let workspace = ids.next(.workspace)
        let wallet = ids.next(.wallet)
        let lot = ids.next(.lot)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO workspaces VALUES (?, 'baseline', 'UTC', ?)", arguments: [workspace, now])
            try db.execute(
                sql: "INSERT INTO wallets (id, workspace_id, kind, created_at) VALUES (?, ?, 'pool', ?)",
                arguments: [wallet, workspace, now])
            try db.execute(
                sql: """
                    INSERT INTO lots (id, workspace_id, wallet_id, source, amount, remaining, held, effective_at, created_at)
                    VALUES (?, ?, ?, 'adjustment', 100000000, 100000000, 0, ?, ?)
                    """, arguments: [lot, workspace, wallet, now, now])
        }
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        var count = 0
        var batchLatencies: [Double] = []
        while ContinuousClock.now < deadline {
            let began = ContinuousClock.now
            let holds = (0..<concurrency).map { _ in (id: ids.next(.hold), attempt: ids.next(.attempt)) }
            try queue.writeWithoutTransaction { db in
                try RawStatement.execute(db.cachedStatement(sql: "BEGIN IMMEDIATE"))
                for hold in holds {
                    try RawStatement.execute(
                        db.cachedStatement(
                            sql: "UPDATE lots SET remaining = remaining - 1, held = held + 1 WHERE id = ?"),
                        [.text(lot)])
                    try RawStatement.execute(
                        db.cachedStatement(
                            sql: """
                                INSERT INTO holds (id, workspace_id, wallet_id, lot_id, attempt_id, state, created_at,
                                                   expires_at)
                                VALUES (?, ?, ?, ?, ?, 'held', ?, ?)
                                """),
                        [
                            .text(hold.id), .text(workspace), .text(wallet), .text(lot), .text(hold.attempt),
                            .integer(now),
                            .integer(now + 3_600_000),
                        ])
                    try insertEntry(db, kind: "hold", ids.next(.entry), workspace, wallet, lot, hold, now)
                }
                try RawStatement.execute(db.cachedStatement(sql: "COMMIT"))
                try RawStatement.execute(db.cachedStatement(sql: "BEGIN IMMEDIATE"))
                for hold in holds {
                    try RawStatement.execute(
                        db.cachedStatement(sql: "UPDATE lots SET held = held - 1 WHERE id = ?"), [.text(lot)])
                    try RawStatement.execute(
                        db.cachedStatement(
                            sql: """
                                UPDATE holds SET state = 'captured', ended_at = ? WHERE workspace_id = ? AND attempt_id = ?
                                """),
                        [.integer(now), .text(workspace), .text(hold.attempt)])
                    try insertEntry(db, kind: "capture", ids.next(.entry), workspace, wallet, lot, hold, now)
                }
                try RawStatement.execute(db.cachedStatement(sql: "COMMIT"))
            }
            count += concurrency
            batchLatencies.append(milliseconds(ContinuousClock.now - began))
        }
        let elapsed = milliseconds(ContinuousClock.now - start) / 1000
        return (count, elapsed, batchLatencies)
    }

    private static func insertEntry(
        _ db: Database, kind: String, _ id: String, _ workspace: String, _ wallet: String, _ lot: String,
        _ hold: (id: String, attempt: String), _ now: Int64
    ) throws {
        try RawStatement.execute(
            db.cachedStatement(
                sql: """
                    INSERT INTO entries (id, workspace_id, wallet_id, lot_id, hold_id, attempt_id, kind, amount,
                                         reason, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                    """),
            [
                .text(id), .text(workspace), .text(wallet), .text(lot), .text(hold.id), .text(hold.attempt),
                .text(kind),
                .text(kind), .integer(now),
            ])
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
