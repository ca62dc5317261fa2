import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import CreditsServer

/// A test app whose campaign runner dials through a scripted simulated carrier on the harness's clock,
/// driven by the test (`simulation.run()`), not by the service loop.
struct CampaignHarness {
    let clock: ManualClock
    let store: MemoryStore
    let telephony: SimulatedTelephony
    let runner: CampaignRunner
    let simulation: CampaignSimulation
    let configuration: ServerConfiguration

    /// Every listed number ends as given; every other number reaches a person.
    init(
        outcomes: [String: SimulatedOutcome] = [:], recipientUploadBytesMax: Int = Limits.csvBytesMax,
        start: Date = Date(timeIntervalSince1970: 1_767_600_000)  // Monday 2026-01-05 08:00 UTC
    ) {
        clock = ManualClock(start)
        store = MemoryStore(clock: clock, ids: SequentialIDs())
        let person = OutcomeOdds(person: 1, voicemail: 0, machine: 0, busy: 0, noAnswer: 0, failed: 0)
        telephony = SimulatedTelephony(
            carrier: SimulatedCarrier(seed: 1, profile: CarrierProfile(byPosition: [person]), scripted: outcomes),
            clock: clock, callbacks: ProviderCallbacks(store: store, source: "simulator"), pollSeconds: 3600,
            logger: quietLogger)
        // The app runs its services in router tests too: long intervals leave the ticks to the test.
        runner = CampaignRunner(
            store: store, telephony: telephony, clock: clock, tickSeconds: 3600, logger: quietLogger)
        simulation = CampaignSimulation(runner: runner, telephony: telephony, clock: clock)
        configuration = ServerConfiguration(
            adminToken: adminToken, holdSweepIntervalSeconds: 3600, recipientUploadBytesMax: recipientUploadBytesMax)
    }

    func run<Value: Sendable>(_ test: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = buildApplication(
            configuration: configuration, store: store, clock: clock, campaignRunner: runner, logger: quietLogger)
        return try await app.test(.router) { client in try await test(client) }
    }
}

/// Every day, all day, two lines.
let openPacing =
    #"{"activeDays": ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"], "callingStartMinutes": 0, "callingEndMinutes": 1440, "lines": 2}"#

extension TestClientProtocol {
    /// Creates a campaign; returns it.
    func createCampaign(
        _ workspace: TestWorkspace, name: String = "Spring", pacing: String = openPacing, extra: String = ""
    ) async throws -> CampaignView {
        let response = try await send(
            .post, "/v1/campaigns", token: workspace.secret,
            json: #"{"name": "\#(name)", "pacing": \#(pacing)\#(extra)}"#)
        #expect(response.status == .created)
        return try decode(CampaignView.self, response)
    }

    /// Uploads a CSV body to a campaign.
    func upload(_ workspace: TestWorkspace, _ campaign: CampaignView, csv: String, query: String = "") async throws
        -> TestResponse
    {
        try await execute(
            uri: "/v1/campaigns/\(campaign.id)/recipients\(query)", method: .post,
            headers: [.authorization: "Bearer \(workspace.secret)", .contentType: "text/csv"],
            body: ByteBuffer(string: csv))
    }

    /// Posts to a campaign action route.
    func campaignAction(
        _ workspace: TestWorkspace, _ campaign: CampaignView, _ action: String, json: String? = nil
    ) async throws -> TestResponse {
        try await send(.post, "/v1/campaigns/\(campaign.id)/\(action)", token: workspace.secret, json: json)
    }

    func campaign(_ workspace: TestWorkspace, _ campaign: CampaignView) async throws -> CampaignView {
        let response = try await send(.get, "/v1/campaigns/\(campaign.id)", token: workspace.secret)
        #expect(response.status == .ok)
        return try decode(CampaignView.self, response)
    }

    func sendStep(_ workspace: TestWorkspace, _ campaign: CampaignView) async throws -> SendStepView {
        let response = try await send(.get, "/v1/campaigns/\(campaign.id)/send-step", token: workspace.secret)
        #expect(response.status == .ok)
        return try decode(SendStepView.self, response)
    }
}

/// A CSV of `count` contacts; contact i has 1 + i % `numbersMax` numbers.
func contactsCSV(_ count: Int, numbersMax: Int, first: Int = 0) -> String {
    let fallbacks = numbersMax > 1 ? (2...numbersMax).map { ",phone\($0)" }.joined() : ""
    var lines = ["first_name,phone" + fallbacks]
    var next = first
    for index in 0..<count {
        var fields = ["Ada \(index)"]
        for column in 0..<numbersMax {
            if column <= index % numbersMax {
                next += 1
                fields.append("+1415555" + String(format: "%04d", next))
            } else {
                fields.append("")
            }
        }
        lines.append(fields.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
}
