import CreditsCore
import CreditsServer
import CreditsStore
import Foundation
import Logging

/// Campaigns against the simulated carrier on a fast clock: per campaign a workspace, credits, a generated
/// recipient CSV (parsed like an upload), a DNC list and a launch; then the virtual-time simulation until
/// every campaign ends. `simulate` prints one; `bench campaign` times several side by side.
struct CampaignScenario {
    /// Recipients over all campaigns.
    var recipients: Int
    var numbers: Int
    var seed: UInt64
    var lines: Int
    /// Campaigns run side by side, each in its own workspace, the recipients shared out.
    var campaigns = 1
    /// Credits granted to each workspace first; nil: enough for every number of every recipient.
    var credits: Int64?
    /// Callbacks the carrier sends per call.
    var callbacks: CarrierCallbacks = .every
    /// The simulation's longest step of simulated time.
    var stepSeconds: Double = 5

    /// One campaign after the run.
    struct Launched {
        var campaign: Campaign
        var workspaceId: WorkspaceID
        var granted: Int64
    }

    /// What a run left behind.
    struct Result {
        var launched: [Launched]
        var steps: Int
        var seconds: Double
        var simulatedSeconds: Double
        /// Real seconds in the runner's ticks and in delivering callbacks.
        var tickSeconds: Double
        var deliverSeconds: Double
    }

    /// Sets up and runs the campaigns on `store`, whose clock is `clock`.
    func run(store: any ServiceStore, clock: ManualClock, logger: Logger) async throws -> Result {
        // The same generated upload as `bench preflight`: every 100th recipient's first number on the DNC list.
        let upload = try RecipientCSV.parse(
            BenchPreflight.generate(recipients: recipients, numbers: numbers, seed: seed))
        let listed = stride(from: 0, to: recipients, by: 100).map {
            DoNotCallNumber(phoneNumber: BenchPreflight.number(recipient: $0, position: 0), source: "simulation")
        }
        let share = (upload.recipients.count + campaigns - 1) / campaigns
        var launched: [Launched] = []
        for index in 0..<campaigns {
            let rows = Array(upload.recipients.dropFirst(index * share).prefix(share))
            guard !rows.isEmpty else { break }
            launched.append(try await launch(rows, listed, index: index, store: store))
        }
        var profile = CarrierProfile.standard
        profile.callbacks = callbacks
        let telephony = SimulatedTelephony(
            carrier: SimulatedCarrier(seed: seed, profile: profile), clock: clock,
            callbacks: ProviderCallbacks(store: store, source: "simulator"), logger: logger)
        let runner = CampaignRunner(store: store, telephony: telephony, clock: clock, logger: logger)
        let simulation = CampaignSimulation(
            runner: runner, telephony: telephony, clock: clock, stepSeconds: stepSeconds)
        let startedAt = clock.now()
        let start = ContinuousClock.now
        let run = try await simulation.run()
        let seconds = BenchFigures.milliseconds(ContinuousClock.now - start) / 1000
        for index in launched.indices {
            let one = launched[index]
            launched[index].campaign =
                try await store.campaign(workspaceId: one.workspaceId, campaignId: one.campaign.id) ?? one.campaign
        }
        return Result(
            launched: launched, steps: run.steps, seconds: seconds,
            simulatedSeconds: clock.now().timeIntervalSince(startedAt),
            tickSeconds: BenchFigures.milliseconds(run.tickDuration) / 1000,
            deliverSeconds: BenchFigures.milliseconds(run.deliverDuration) / 1000)
    }

    /// A workspace with its credits and DNC list, and a launched campaign of `rows`.
    private func launch(
        _ rows: [Recipient], _ listed: [DoNotCallNumber], index: Int, store: any ServiceStore
    ) async throws -> Launched {
        let created = try await store.createWorkspace(
            NewWorkspace(
                name: "simulation \(index + 1)", timeZone: "UTC",
                firstKey: APIKeySecret.generate(name: "simulate").key))
        let workspace = created.workspace.id
        let granted = credits ?? Int64(rows.reduce(0) { $0 + $1.numbers.count })
        try await store.credit(
            CreditCommand(
                workspaceId: workspace, walletId: created.pool.id, amount: Credits(granted), source: .adjustment,
                reason: "simulation", idempotencyKey: "simulation-grant"))
        for batch in stride(from: 0, to: listed.count, by: Limits.dncBatchMax) {
            try await store.addDoNotCall(
                workspaceId: workspace, Array(listed[batch..<min(batch + Limits.dncBatchMax, listed.count)]))
        }
        let pacing = PacingSettings(
            activeDays: Set(Weekday.allCases), callingStartMinutes: 0, callingEndMinutes: 1440, lines: lines)
        var campaign = try await store.createCampaign(
            NewCampaign(workspaceId: workspace, name: "simulation seed \(seed)", pacing: pacing))
        campaign = try await store.addRecipients(
            workspaceId: workspace, campaignId: campaign.id, rows, singleCall: false
        ).campaign
        campaign = try await store.applyCampaignAction(
            workspaceId: workspace, campaignId: campaign.id, .launch(at: nil, shortfall: 0, acknowledged: true))
        return Launched(campaign: campaign, workspaceId: workspace, granted: granted)
    }

    /// Every attempt of one campaign, a page at a time.
    static func attempts(_ store: any ServiceStore, _ launched: Launched) async throws -> [CallAttempt] {
        var all: [CallAttempt] = []
        var cursor: AttemptID?
        repeat {
            let page = try await store.attempts(
                AttemptQuery(
                    workspaceId: launched.workspaceId, campaignId: launched.campaign.id, limit: Limits.pageSizeMax,
                    after: cursor))
            all += page.attempts
            cursor = page.nextCursor
        } while cursor != nil
        return all
    }
}
