import CreditsCore
import CreditsStore
import Foundation
import GRDB

extension SQLiteStore {
    /// Writes `history` in one transaction (the bench's bulk load; see `UsageHistory`).
    public func loadUsageHistory(_ history: UsageHistory) async throws {
        try await groupWriter.write { db in
            let wallet = try db.cachedStatement(
                sql: "INSERT INTO wallets (id, workspace_id, kind, member_id, created_at) VALUES (?, ?, 'member', ?, ?)"
            )
            for member in history.memberWallets {
                try RawStatement.execute(
                    wallet,
                    [
                        .text(member.id), .text(history.workspaceId), .text(member.memberId),
                        .integer(member.createdAt.millisecondsSince1970),
                    ])
            }
            let rollup = try db.cachedStatement(
                sql: """
                    INSERT INTO usage_rollup (workspace_id, day, wallet_id, campaign_id, outcome, attempts, credits,
                                              refunds, uncollected)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for row in history.rollup {
                try RawStatement.execute(
                    rollup,
                    [
                        .text(history.workspaceId), .integer(Int64(row.day.number)), .text(row.walletId),
                        .text(row.campaignId ?? ""), .text(row.outcome.rawValue), .integer(row.attempts),
                        .integer(row.credits), .integer(row.refunds), .integer(row.uncollected),
                    ])
            }
            let positions = try db.cachedStatement(
                sql: """
                    INSERT INTO usage_positions (workspace_id, day, position, outcome, attempts) VALUES (?, ?, ?, ?, ?)
                    """)
            for row in history.positions {
                try RawStatement.execute(
                    positions,
                    [
                        .text(history.workspaceId), .integer(Int64(row.day.number)), .integer(Int64(row.position)),
                        .text(row.outcome.rawValue), .integer(row.attempts),
                    ])
            }
        }
    }
}
