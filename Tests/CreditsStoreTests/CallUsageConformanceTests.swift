import CreditsCore
import CreditsStore
import Foundation
import Testing

/// The usage breakdown on every backend, read from the rollups the attempt operations keep.
@Suite("Call usage conformance")
struct CallUsageConformanceTests {
    @Test("usage by outcome, campaign and day adds up what the attempts did", arguments: Backend.all)
    func breakdown(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)  // Europe/Berlin, clock at 2026-01-01T00:00Z (01:00 local)
        try await fixture.grant(10)
        try await fixture.store.addDoNotCall(
            workspaceId: fixture.workspace, [DoNotCallNumber(phoneNumber: "+14155550109")])
        try await fixture.runAttempt("a1", campaign: "c1", ending: .completed(.answeredFullConversation))
        try await fixture.runAttempt("a2", campaign: "c1", ending: .completed(.missedVoicemailLeft))
        try await fixture.runAttempt("a3", campaign: "c2", ending: .failed)
        try await fixture.newAttempt("a4", number: "+14155550109", campaign: "c2")  // DNC
        fixture.clock.advance(seconds: 86_400)
        try await fixture.runAttempt("a5", ending: .completed(.answeredHungUpImmediately))
        try await fixture.runAttempt("a6", ending: .cancelled)
        try await fixture.newAttempt("a7", number: "+14155550107")  // still waiting: not counted

        let day1 = try #require(CalendarDay("2026-01-01"))
        let day2 = try #require(CalendarDay("2026-01-02"))
        let report = try await fixture.store.usage(UsageQuery(workspaceId: fixture.workspace, from: day1, to: day2))
        #expect(report.timeZone == "Europe/Berlin")
        #expect(report.byOutcome.map(\.outcome) == CallOutcome.allCases)
        let rows = Dictionary(uniqueKeysWithValues: report.byOutcome.map { ($0.outcome, $0) })
        #expect(rows[.answeredFullConversation]?.attempts == 1 && rows[.answeredFullConversation]?.credits == 1)
        #expect(rows[.answeredHungUpImmediately]?.credits == 1 && rows[.missedVoicemailLeft]?.credits == 1)
        #expect(rows[.missedNoVoicemail]?.attempts == 0)
        #expect(rows[.failed]?.attempts == 1 && rows[.failed]?.credits == 0 && rows[.failed]?.refundedCredits == 1)
        #expect(rows[.cancelled]?.refundedCredits == 1 && rows[.cancelled]?.refunded == true)
        #expect(rows[.dnc]?.attempts == 1 && rows[.dnc]?.refundedCredits == 0)
        #expect(report.totals.attempts == 6 && report.totals.credits == 3 && report.totals.refundedCredits == 2)
        #expect(report.byCampaign.map(\.campaignId) == [nil, "c1", "c2"])
        #expect(report.byCampaign.map(\.figures.credits) == [1, 2, 0])
        #expect(report.byDay.map(\.day) == [day1, day2])
        #expect(report.byDay.map(\.figures.attempts) == [4, 2])
        // The balance agrees with the credits the usage shows.
        #expect(try await fixture.balance().available == 10 - 3)

        let firstDay = try await fixture.store.usage(UsageQuery(workspaceId: fixture.workspace, from: day1, to: day1))
        #expect(firstDay.totals.attempts == 4 && firstDay.totals.credits == 2)
    }

    @Test("days are counted in the workspace's time zone", arguments: Backend.all)
    func localDays(backend: Backend) async throws {
        // 2026-01-01T23:30Z is already 2026-01-02 in Berlin.
        let fixture = try await Fixture.make(backend, clock: ManualClock(Date(timeIntervalSince1970: 1_767_310_200)))
        try await fixture.grant(1)
        try await fixture.runAttempt("a1", ending: .completed(.answeredFullConversation))
        let report = try await fixture.store.usage(
            UsageQuery(
                workspaceId: fixture.workspace, from: try #require(CalendarDay("2026-01-01")),
                to: try #require(CalendarDay("2026-01-31"))))
        #expect(report.byDay.map(\.day.description) == ["2026-01-02"])
    }

    @Test("usage for one wallet leaves out the others; an unknown wallet is refused", arguments: Backend.all)
    func walletFilter(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        try await fixture.runAttempt("a1", ending: .completed(.answeredFullConversation))
        let day = try #require(CalendarDay("2026-01-01"))
        let pool = try await fixture.store.usage(
            UsageQuery(workspaceId: fixture.workspace, walletId: fixture.pool, from: day, to: day))
        #expect(pool.totals.credits == 1)
        #expect(
            await fixture.code {
                try await fixture.store.usage(
                    UsageQuery(workspaceId: fixture.workspace, walletId: "wal_x", from: day, to: day))
            } == "wallet_not_found")
        let other = try await fixture.another()
        let empty = try await other.store.usage(UsageQuery(workspaceId: other.workspace, from: day, to: day))
        #expect(empty.totals.attempts == 0 && empty.byOutcome.count == 7)
    }

    @Test("dialed attempts are counted by number position for the Send step", arguments: Backend.all)
    func positions(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(10)
        try await fixture.runAttempt("a1", position: 1, ending: .completed(.missedVoicemailLeft))
        try await fixture.runAttempt("a2", position: 1, ending: .failed)
        try await fixture.runAttempt("a3", position: 2, ending: .completed(.answeredFullConversation))
        try await fixture.newAttempt("a4", number: "+14155550104", position: 1)
        // Never dialed: not counted.
        try await fixture.store.cancelAttempt(workspaceId: fixture.workspace, attemptId: "a4", reason: nil)
        let day = try #require(CalendarDay("2026-01-01"))
        let statistics = try await fixture.store.positionStatistics(workspaceId: fixture.workspace, from: day, to: day)
        #expect(
            statistics == [
                PositionStatistics(position: 1, dialed: 2, answered: 0, missed: 1),
                PositionStatistics(position: 2, dialed: 1, answered: 1, missed: 0),
            ])
    }
}

extension Fixture {
    /// Creates, dials and ends an attempt with one event.
    func runAttempt(
        _ id: AttemptID, campaign: CampaignID? = nil, position: Int? = nil, ending event: AttemptEvent
    ) async throws {
        try await newAttempt(id, number: "+14155550200", campaign: campaign, position: position)
        try await dial(id)
        try await self.event(id, "end-" + id, event)
    }
}
