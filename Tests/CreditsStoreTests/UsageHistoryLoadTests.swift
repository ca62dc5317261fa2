import CreditsCore
import CreditsSQLite
import CreditsStore
import Foundation
import Testing

/// `loadUsageHistory`, the bulk load behind `callcredits bench usage`: what it writes reads back through the usage
/// breakdown and the position statistics exactly as rows the store kept itself.
@Suite("Usage history bulk load")
struct UsageHistoryLoadTests {
    static var backends: [Backend] { Backend.all.filter { $0 != .memory } }

    @Test("a loaded history comes back through the usage breakdown", arguments: backends)
    func loadedHistoryReadsBack(_ backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let member = Wallet(
            id: "wal_member_1", workspaceId: fixture.workspace, kind: .member, memberId: "m1", createdAt: Date())
        let day1 = try #require(CalendarDay("2026-11-01"))
        let day2 = try #require(CalendarDay("2026-11-02"))
        let history = UsageHistory(
            workspaceId: fixture.workspace, memberWallets: [member],
            rollup: [
                UsageRollupRow(
                    day: day1, walletId: fixture.pool, campaignId: "cmp_a", outcome: .answeredFullConversation,
                    attempts: 40, credits: 40, refunds: 0, uncollected: 0),
                UsageRollupRow(
                    day: day1, walletId: member.id, campaignId: nil, outcome: .failed, attempts: 7, credits: 0,
                    refunds: 7, uncollected: 0),
                UsageRollupRow(
                    day: day2, walletId: member.id, campaignId: "cmp_b", outcome: .missedVoicemailLeft, attempts: 5,
                    credits: 5, refunds: 0, uncollected: 0),
            ],
            positions: [
                UsageHistory.PositionRow(day: day1, position: 1, outcome: .answeredFullConversation, attempts: 40),
                UsageHistory.PositionRow(day: day2, position: 2, outcome: .missedVoicemailLeft, attempts: 5),
            ])
        try await load(history, into: fixture.store)

        let whole = try await fixture.store.usage(UsageQuery(workspaceId: fixture.workspace, from: day1, to: day2))
        #expect(whole.totals.attempts == 52)
        #expect(whole.totals.credits == 45)
        #expect(whole.totals.refundedCredits == 7)
        #expect(whole.byCampaign.map(\.campaignId) == [nil, "cmp_a", "cmp_b"])
        #expect(whole.byDay.map(\.figures.attempts) == [47, 5])
        let byWallet = Dictionary(uniqueKeysWithValues: whole.byWallet.map { ($0.walletId, $0.figures) })
        #expect(byWallet.count == 2)
        #expect(byWallet[fixture.pool]?.credits == 40 && byWallet[member.id]?.attempts == 12)
        #expect(byWallet[member.id]?.credits == 5 && byWallet[member.id]?.refundedCredits == 7)
        #expect(whole.byOutcome.first { $0.outcome == .failed }?.refundedCredits == 7)

        let memberOnly = try await fixture.store.usage(
            UsageQuery(workspaceId: fixture.workspace, walletId: member.id, from: day2, to: day2))
        #expect(memberOnly.totals.attempts == 5)
        #expect(try await fixture.store.wallets(workspaceId: fixture.workspace).count == 2)

        let positions = try await fixture.store.positionStatistics(
            workspaceId: fixture.workspace, from: day1, to: day2)
        #expect(positions.map(\.dialed) == [40, 5])
        #expect(positions.map(\.answered) == [40, 0])
        #expect(positions.map(\.missed) == [0, 5])
    }

    private func load(_ history: UsageHistory, into store: any ServiceStore) async throws {
        if let sqlite = store as? SQLiteStore {
            try await sqlite.loadUsageHistory(history)
        } else if let postgres = store as? RunningPostgresStore {
            try await postgres.base.loadUsageHistory(history)
        } else {
            Issue.record("no bulk load on \(type(of: store))")
        }
    }
}
