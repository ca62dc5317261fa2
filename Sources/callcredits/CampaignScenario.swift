import CreditsCore
import CreditsServer
import CreditsStore
import Foundation
import Logging

/// A whole campaign against the simulated carrier on a fast clock: a workspace, credits, a generated
/// recipient CSV (parsed like an upload), a DNC list, a launch, and the virtual-time simulation until the
/// campaign ends. `simulate` prints it; `bench campaign` times it.
struct CampaignScenario {
    var recipients: Int
    var numbers: Int
    var seed: UInt64
    var lines: Int
    /// Credits granted first; nil: enough for every number of every recipient.
    var credits: Int64?
    /// Callbacks the carrier sends per call.
    var callbacks: CarrierCallbacks = .every

    /// What a run left behind.
    struct Result {
        var campaign: Campaign
        var workspaceId: WorkspaceID
        var steps: Int
        var seconds: Double
        var simulatedSeconds: Double
        var granted: Int64
    }

    /// Sets up and runs the campaign on `store`, whose clock is `clock`.
    func run(store: any ServiceStore, clock: ManualClock, logger: Logger) async throws -> Result {
        let created = try await store.createWorkspace(
            NewWorkspace(name: "simulation", timeZone: "UTC", firstKey: APIKeySecret.generate(name: "simulate").key))
        let workspace = created.workspace.id
        let granted = credits ?? Int64(recipients * numbers)
        try await store.credit(
            CreditCommand(
                workspaceId: workspace, walletId: created.pool.id, amount: Credits(granted), source: .adjustment,
                reason: "simulation", idempotencyKey: "simulation-grant"))
        // Every 100th recipient's first number is on the Do Not Call list.
        let listed = stride(from: 0, to: recipients, by: 100).map {
            DoNotCallNumber(phoneNumber: BenchPreflight.number(recipient: $0, position: 0), source: "simulation")
        }
        for batch in stride(from: 0, to: listed.count, by: Limits.dncBatchMax) {
            try await store.addDoNotCall(
                workspaceId: workspace, Array(listed[batch..<min(batch + Limits.dncBatchMax, listed.count)]))
        }
        let upload = try RecipientCSV.parse(
            BenchPreflight.generate(recipients: recipients, numbers: numbers, seed: seed))
        let pacing = PacingSettings(
            activeDays: Set(Weekday.allCases), callingStartMinutes: 0, callingEndMinutes: 1440, lines: lines)
        var campaign = try await store.createCampaign(
            NewCampaign(workspaceId: workspace, name: "simulation seed \(seed)", pacing: pacing))
        campaign = try await store.addRecipients(
            workspaceId: workspace, campaignId: campaign.id, upload.recipients, singleCall: false
        ).campaign
        campaign = try await store.applyCampaignAction(
            workspaceId: workspace, campaignId: campaign.id, .launch(at: nil, shortfall: 0, acknowledged: true))

        var profile = CarrierProfile.standard
        profile.callbacks = callbacks
        let telephony = SimulatedTelephony(
            carrier: SimulatedCarrier(seed: seed, profile: profile), clock: clock,
            callbacks: ProviderCallbacks(store: store, source: "simulator"), logger: logger)
        let runner = CampaignRunner(store: store, telephony: telephony, clock: clock, logger: logger)
        let simulation = CampaignSimulation(runner: runner, telephony: telephony, clock: clock)
        let startedAt = clock.now()
        let start = ContinuousClock.now
        let run = try await simulation.run()
        let seconds = BenchFigures.milliseconds(ContinuousClock.now - start) / 1000
        campaign = try await store.campaign(workspaceId: workspace, campaignId: campaign.id) ?? campaign
        return Result(
            campaign: campaign, workspaceId: workspace, steps: run.steps, seconds: seconds,
            simulatedSeconds: clock.now().timeIntervalSince(startedAt), granted: granted)
    }

    /// Every attempt of the campaign, a page at a time.
    static func attempts(_ store: any ServiceStore, _ result: Result) async throws -> [CallAttempt] {
        var all: [CallAttempt] = []
        var cursor: AttemptID?
        repeat {
            let page = try await store.attempts(
                AttemptQuery(
                    workspaceId: result.workspaceId, campaignId: result.campaign.id, limit: Limits.pageSizeMax,
                    after: cursor))
            all += page.attempts
            cursor = page.nextCursor
        } while cursor != nil
        return all
    }
}
