import CreditsCore
import CreditsStore
import Foundation
import Logging

/// The demo workspace `callcredits serve --demo` creates on a database that has none, so a newcomer signs in to a
/// living portal: an owner, a plan with its allotment, two packages, a Do Not Call list and three finished campaigns
/// on the simulated carrier, one on each of the last three days. See docs/portal.md.
public enum DemoWorkspace {
    /// The owner's sign-in (printed by `serve --demo`; a demo, not a secret).
    public static let ownerEmail = "owner@demo.callcredits.test"
    public static let ownerPassword = "demo-owner-password"
    public static let workspaceName = "Demo Outbound"

    /// What `create` made, or found made before.
    public struct SignIns: Sendable {
        public var workspaceId: WorkspaceID
        public var created: Bool
        public var people: [(email: String, password: String, role: String)]
    }

    /// Creates the demo workspace unless the owner's sign-in exists already. `clock` must be the clock `store` was
    /// opened with: it is moved back three days to run the campaigns, and ends at the real time.
    public static func create(store: any ServiceStore, clock: ManualClock, passwordCost: UInt8, logger: Logger)
        async throws -> SignIns
    {
        let people: [(email: String, password: String, role: String)] = [(ownerEmail, ownerPassword, "owner")]
        if let existing = try await store.portalCredential(email: ownerEmail) {
            return SignIns(workspaceId: existing.workspaceId, created: false, people: people)
        }
        let now = SystemClock().now()
        let start = now.addingTimeInterval(-3 * 86_400)
        clock.set(start)
        let created = try await store.createWorkspace(
            NewWorkspace(
                name: workspaceName, timeZone: "America/New_York", firstKey: APIKeySecret.generate(name: "demo").key))
        let workspace = created.workspace.id
        _ = try await store.putPlan(
            Plan(
                id: "demo-starter", name: "Starter", monthlyAllotment: Credits(1_000), priceMinor: 4_900,
                currency: "USD"))
        for (id, name, credits, price) in [
            ("demo-500", "500 credits", Int64(500), Int64(2_500)), ("demo-2000", "2,000 credits", 2_000, 9_000),
            ("demo-10000", "10,000 credits", 10_000, 40_000),
        ] {
            _ = try await store.putPackage(
                CreditPackage(
                    id: id, name: name, credits: Credits(credits), priceMinor: price, currency: "USD",
                    validityDays: nil, active: true))
        }
        _ = try await store.createSubscription(NewSubscription(workspaceId: workspace, planId: "demo-starter"))
        _ = try await store.resetCycle(workspaceId: workspace)
        try await store.addDoNotCall(
            workspaceId: workspace,
            [
                DoNotCallNumber(phoneNumber: "+14155550107", source: "demo"),
                DoNotCallNumber(phoneNumber: "+14155550142", source: "demo"),
            ])
        try await PortalAccounts.setPassword(
            store: store, workspaceId: workspace, personId: PortalAccounts.ownerPersonId, email: ownerEmail,
            password: ownerPassword, cost: passwordCost, now: start)
        let telephony = SimulatedTelephony(
            carrier: SimulatedCarrier(seed: 2026), clock: clock,
            callbacks: ProviderCallbacks(store: store, source: "demo"), logger: logger)
        let runner = CampaignRunner(store: store, telephony: telephony, clock: clock, logger: logger)
        let simulation = CampaignSimulation(runner: runner, telephony: telephony, clock: clock)
        let everyDay = PacingSettings(
            activeDays: Set(Weekday.allCases), callingStartMinutes: 0, callingEndMinutes: 1_440, lines: 5)
        for (day, (name, recipients)) in [("Spring renewals", 40), ("Webinar follow-up", 25), ("Win-back", 60)]
            .enumerated()
        {
            clock.set(start.addingTimeInterval(Double(day) * 86_400 + 3_600))
            var campaign = try await store.createCampaign(
                NewCampaign(workspaceId: workspace, walletId: created.pool.id, name: name, pacing: everyDay))
            var rows: [Recipient] = []
            for index in 0..<recipients {
                let suffix: Int = day * 200 + index + 100
                let first = try PhoneNumber("+1415555" + String(format: "%04d", suffix))
                let second = try PhoneNumber("+1628555" + String(format: "%04d", suffix))
                rows.append(Recipient(row: index + 2, firstName: "Contact \(index + 1)", numbers: [first, second]))
            }
            campaign = try await store.addRecipients(
                workspaceId: workspace, campaignId: campaign.id, rows, singleCall: false
            ).campaign
            _ = try await store.applyCampaignAction(
                workspaceId: workspace, campaignId: campaign.id, .launch(at: nil, shortfall: .zero, acknowledged: true))
            try await simulation.run(stepsMax: 100_000)
        }
        clock.set(max(clock.now(), now))
        return SignIns(workspaceId: workspace, created: true, people: people)
    }
}
