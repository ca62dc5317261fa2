import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

/// The usage breakdown through the API: figures, periods, wallet filter, CSV export.
@Suite("Usage routes")
struct UsageRouteTests {
    /// Three attempts in two campaigns: answered (1 credit), voicemail (1 credit), failed (refunded).
    private func history(_ client: some TestClientProtocol) async throws -> TestWorkspace {
        let workspace = try await client.createWorkspace()
        try await client.grant(workspace, amount: 10)
        _ = try await client.createAttempt(workspace, "a1", extra: #", "campaignId": "spring""#)
        _ = try await client.sendEvent(
            workspace, "a1", eventId: "e1", #""type": "completed", "outcome": "answered_full_conversation""#)
        _ = try await client.createAttempt(workspace, "a2", extra: #", "campaignId": "spring""#)
        _ = try await client.sendEvent(
            workspace, "a2", eventId: "e2", #""type": "completed", "outcome": "missed_voicemail_left""#)
        _ = try await client.createAttempt(workspace, "a3", extra: #", "campaignId": "-cmd""#)
        _ = try await client.sendEvent(workspace, "a3", eventId: "e3", #""type": "failed""#)
        return workspace
    }

    @Test func theReportShowsTheSevenRowsCampaignsAndDays() async throws {
        try await Harness().run { client in
            let workspace = try await history(client)
            let report = try await client.usageToday(workspace)
            #expect(report.byOutcome.count == 7)
            #expect(report.byOutcome.map(\.attempts) == [1, 0, 1, 0, 1, 0, 0])
            #expect(report.byOutcome.map(\.credits) == [1, 0, 1, 0, 0, 0, 0])
            #expect(report.byOutcome.first { $0.outcome == .failed }?.refundedCredits == 1)
            #expect(report.byCampaign.map(\.campaignId) == ["-cmd", "spring"])
            #expect(report.byDay.map(\.day.description) == ["2026-01-01"])
            #expect(report.totals.attempts == 3 && report.totals.credits == 2 && report.totals.refundedCredits == 1)
            let balance = try await client.balance(workspace)
            #expect(balance.available == 8)
            let otherWallet = try await client.send(
                .get, "/v1/usage?from=2026-01-01&to=2026-01-01&walletId=wal_nope", token: workspace.secret)
            #expect(otherWallet.status == .notFound)
            let before = try await client.send(.get, "/v1/usage?from=2025-12-01&to=2025-12-31", token: workspace.secret)
            #expect(try decode(UsageReport.self, before).totals.attempts == 0)
        }
    }

    @Test func theDefaultPeriodIsTheLast30DaysUpToToday() async throws {
        try await Harness().run { client in
            let workspace = try await history(client)
            let response = try await client.send(.get, "/v1/usage", token: workspace.secret)
            let report = try decode(UsageReport.self, response)
            #expect(report.from.description == "2025-12-03" && report.to.description == "2026-01-01")
            #expect(report.totals.attempts == 3)
        }
    }

    @Test func theCSVExportHasOneRowPerFigureAndDefusesFormulas() async throws {
        try await Harness().run { client in
            let workspace = try await history(client)
            let response = try await client.send(
                .get, "/v1/usage?from=2026-01-01&to=2026-01-01&format=csv", token: workspace.secret)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = text(response).split(separator: "\r\n").map(String.init)
            #expect(lines.first == UsageCSV.header)
            #expect(lines.contains("outcome,answered_full_conversation,Answered — full conversation,answered,1,1,0,0"))
            #expect(lines.contains("outcome,failed,Failed to connect,failed,1,0,1,0"))
            #expect(lines.contains("campaign,'-cmd,,,1,0,1,0"))
            #expect(lines.contains("day,2026-01-01,,,3,2,1,0"))
            #expect(lines.last == "total,,,,3,2,1,0")
            // Header, seven outcomes, two campaigns, one day, the total.
            let expectedCount = 12
            #expect(lines.count == expectedCount)
        }
    }

    @Test func aBadPeriodIsRefused() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            for query in [
                "from=2026-02-30", "from=2026-02-01&to=2026-01-01", "from=2020-01-01&to=2026-01-01", "format=xml",
            ] {
                let response = try await client.send(.get, "/v1/usage?" + query, token: workspace.secret)
                #expect(response.status == .unprocessableContent, "\(query)")
            }
        }
    }
}
