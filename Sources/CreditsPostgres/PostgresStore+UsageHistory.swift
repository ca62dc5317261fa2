import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

extension PostgresStore {
    static let usageHistoryChunk = 5_000

    /// Writes `history` in one transaction, a few thousand rows per statement (the bench's bulk load; see
    /// `UsageHistory`).
    public func loadUsageHistory(_ history: UsageHistory) async throws {
        let workspaceId = history.workspaceId
        try await transaction("loadUsageHistory", .notIdempotent) { connection in
            for member in history.memberWallets {
                try await execute(
                    """
                    INSERT INTO wallets (\(unescaped: Columns.wallet))
                    VALUES (\(workspaceId), \(member.id), 'member', \(member.memberId), \(member.createdAt.millis))
                    """, on: connection)
            }
            var start = 0
            while start < history.rollup.count {
                let chunk = Array(history.rollup[start..<min(start + Self.usageHistoryChunk, history.rollup.count)])
                try await execute(
                    """
                    INSERT INTO usage_rollup (workspace_id, day, wallet_id, campaign_id, outcome, attempts, credits,
                                              refunds, uncollected)
                    SELECT \(workspaceId), day, wallet_id, campaign_id, outcome, attempts, credits, refunds, uncollected
                    FROM unnest(\(chunk.map { $0.day.number }), \(chunk.map(\.walletId)), \
                    \(chunk.map { $0.campaignId ?? "" }), \(chunk.map(\.outcome.rawValue)), \(chunk.map(\.attempts)), \
                    \(chunk.map(\.credits)), \(chunk.map(\.refunds)), \(chunk.map(\.uncollected)))
                        AS r(day, wallet_id, campaign_id, outcome, attempts, credits, refunds, uncollected)
                    """, on: connection)
                start += Self.usageHistoryChunk
            }
            start = 0
            while start < history.positions.count {
                let chunk = Array(
                    history.positions[start..<min(start + Self.usageHistoryChunk, history.positions.count)])
                try await execute(
                    """
                    INSERT INTO usage_positions (workspace_id, day, position, outcome, attempts)
                    SELECT \(workspaceId), day, position, outcome, attempts
                    FROM unnest(\(chunk.map { $0.day.number }), \(chunk.map(\.position)), \
                    \(chunk.map(\.outcome.rawValue)), \(chunk.map(\.attempts)))
                        AS r(day, position, outcome, attempts)
                    """, on: connection)
                start += Self.usageHistoryChunk
            }
        }
    }
}
