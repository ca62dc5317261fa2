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
    /// The two members' sign-ins.
    public static let members = [
        ("ana@demo.callcredits.test", "demo-member-password"), ("ben@demo.callcredits.test", "demo-member-password"),
    ]

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
        let people: [(email: String, password: String, role: String)] =
            [(ownerEmail, ownerPassword, "owner")] + members.map { ($0.0, $0.1, "member") }
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
        try await PortalAccounts.setOwnerPassword(
            store: store, workspaceId: workspace, email: ownerEmail, password: ownerPassword, cost: passwordCost,
            now: start)
        guard let owner = try await PortalPeople.owner(store: store, workspaceId: workspace) else {
            preconditionFailure("a new workspace has its owner")
        }
        // Two members, invited and joined as the team routes do it, each with a monthly allotment; Ana gets a
        // transfer too, and the second campaign is hers.
        var memberWallets: [WalletID] = []
        for (email, password) in members {
            let (_, hash) = InvitationToken.generate()
            _ = try await store.team(
                TeamRequest(workspaceId: workspace, actor: owner.id, command: .invite(email: email, tokenHash: hash)))
            let joined = try await store.team(
                TeamRequest(
                    workspaceId: workspace, actor: "invitee", command: .acceptInvitation(tokenHash: hash),
                    newKey: APIKeySecret.generate(name: "demo").key))
            guard let person = joined.outcome.person, let wallet = person.walletId else {
                preconditionFailure("an accepted invitation makes a member with a wallet")
            }
            _ = try await store.team(
                TeamRequest(workspaceId: workspace, actor: owner.id, command: .setAllotment(person.id, Credits(150))))
            try await PortalAccounts.setPassword(
                store: store, workspaceId: workspace, personId: person.id, email: email, password: password,
                cost: passwordCost, now: start)
            memberWallets.append(wallet)
            if memberWallets.count == 1 {
                _ = try await store.team(
                    TeamRequest(workspaceId: workspace, actor: owner.id, command: .transfer(person.id, Credits(100))))
            }
        }
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
                NewCampaign(
                    workspaceId: workspace, walletId: day == 1 ? memberWallets[0] : created.pool.id, name: name,
                    pacing: everyDay))
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
