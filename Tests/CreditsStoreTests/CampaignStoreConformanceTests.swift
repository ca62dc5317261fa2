import CreditsCore
import CreditsStore
import Foundation
import Testing

/// Every day, all day: tests that are not about calling hours.
let alwaysOpen = PacingSettings(
    activeDays: Set(Weekday.allCases), callingStartMinutes: 0, callingEndMinutes: 1440, lines: 2)

extension Fixture {
    /// A draft campaign on the pool with `recipients` recipients of `numbers` numbers each.
    func campaign(
        recipients: Int = 0, numbers: Int = 1, pacing: PacingSettings = alwaysOpen, cap: Credits? = nil
    ) async throws -> Campaign {
        let created = try await store.createCampaign(
            NewCampaign(workspaceId: workspace, name: "Spring", creditCap: cap, pacing: pacing))
        guard recipients > 0 else { return created }
        return try await store.addRecipients(
            workspaceId: workspace, campaignId: created.id, Self.recipients(recipients, numbers: numbers),
            singleCall: false
        ).campaign
    }

    /// `count` recipients with `numbers` distinct US numbers each, rows from 2.
    static func recipients(_ count: Int, numbers: Int, from start: Int = 0) -> [Recipient] {
        (0..<count).map { offset in
            let index = start + offset
            return Recipient(
                row: index + 2, firstName: "Ada \(index)",
                numbers: (0..<numbers).map { try! PhoneNumber("+1415\(200 + $0)\(String(format: "%04d", index))") })
        }
    }

    func act(_ campaign: Campaign, _ action: CampaignAction) async throws -> Campaign {
        try await store.applyCampaignAction(workspaceId: workspace, campaignId: campaign.id, action)
    }

    func launch(_ campaign: Campaign) async throws -> Campaign {
        try await act(campaign, .launch(at: nil, shortfall: 0, acknowledged: false))
    }

    func claim(_ campaign: Campaign, limit: Int = 100) async throws -> RecipientClaim {
        try await store.claimRecipients(workspaceId: workspace, campaignId: campaign.id, now: clock.now(), limit: limit)
    }

    /// Records that `recipient`'s open attempt ended in `status`, charged when it connected.
    func record(_ campaign: Campaign, _ recipient: CampaignRecipient, _ status: AttemptStatus) async throws -> Campaign
    {
        let charged: Credits = status == .answered || status == .missed ? 1 : 0
        let outcome = AttemptOutcome(
            recipientIndex: recipient.index, attemptId: recipient.attemptId, status: status, creditsCharged: charged,
            dialedAt: status == .dnc ? nil : clock.now())
        return try await store.recordOutcomes(workspaceId: workspace, campaignId: campaign.id, [outcome])
    }

    func campaignRefusal<T>(_ body: () async throws -> T) async -> CampaignRefusalCode? {
        do {
            _ = try await body()
            return nil
        } catch let refusal as CampaignRefusal {
            return refusal.code
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }
}

/// Campaigns and recipients: the same behaviour on every backend.
@Suite("Campaign store conformance")
struct CampaignStoreConformanceTests {
    @Test("a new campaign is a draft on the pool, in the workspace's time zone", arguments: Backend.all)
    func createDraft(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let campaign = try await fixture.campaign(cap: 50)
        #expect(campaign.status == .draft && campaign.walletId == fixture.pool && campaign.creditCap == 50)
        #expect(campaign.pacing.timeZone.identifier == "Europe/Berlin" && campaign.pacing.lines == 2)
        let read = try await fixture.store.campaign(workspaceId: fixture.workspace, campaignId: campaign.id)
        #expect(read == campaign)
        let page = try await fixture.store.campaigns(workspaceId: fixture.workspace, limit: 10, before: nil)
        #expect(page.campaigns == [campaign])
    }

    @Test("another workspace's campaign and wallet do not exist for it", arguments: Backend.all)
    func isolation(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let other = try await fixture.another()
        let campaign = try await fixture.campaign()
        #expect(try await other.store.campaign(workspaceId: other.workspace, campaignId: campaign.id) == nil)
        #expect(await other.campaignRefusal { try await other.launch(campaign) } == .campaignNotFound)
        #expect(try await other.store.campaigns(workspaceId: other.workspace, limit: 10, before: nil).campaigns.isEmpty)
        let foreignWallet = await fixture.refusal {
            try await fixture.store.createCampaign(
                NewCampaign(workspaceId: fixture.workspace, walletId: other.pool, name: "x"))
        }
        #expect(foreignWallet == .walletNotFound)
    }

    @Test("pacing that cannot pace anything is refused", arguments: Backend.all)
    func badPacing(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        var pacing = alwaysOpen
        pacing.lines = 0
        #expect(await fixture.refusal { try await fixture.campaign(pacing: pacing) } == .invalidRequest)
        pacing = alwaysOpen
        pacing.callingStartMinutes = 600
        pacing.callingEndMinutes = 540
        #expect(await fixture.refusal { try await fixture.campaign(pacing: pacing) } == .invalidRequest)
    }

    @Test("recipients keep their numbers in dialing order and are listed a page at a time", arguments: Backend.all)
    func recipients(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let campaign = try await fixture.campaign(recipients: 5, numbers: 3)
        #expect(campaign.progress.recipients == 5 && campaign.progress.pending == 5)
        let first = try await fixture.store.recipients(
            workspaceId: fixture.workspace, campaignId: campaign.id, after: nil, limit: 3)
        #expect(first.recipients.map(\.index) == [1, 2, 3] && first.nextCursor == 3)
        #expect(first.recipients[0].numbers == ["+14152000000", "+14152010000", "+14152020000"])
        #expect(first.recipients[0].row == 2 && first.recipients[0].firstName == "Ada 0")
        let second = try await fixture.store.recipients(
            workspaceId: fixture.workspace, campaignId: campaign.id, after: 3, limit: 3)
        #expect(second.recipients.map(\.index) == [4, 5] && second.nextCursor == nil)
        let numbers = try await fixture.store.recipientNumbers(workspaceId: fixture.workspace, campaignId: campaign.id)
        #expect(numbers.count == 5 && numbers.allSatisfy { $0.count == 3 })
    }

    @Test("uploads go to drafts only; single calls to running or paused campaigns only", arguments: Backend.all)
    func whereRecipientsGo(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let draft = try await fixture.campaign(recipients: 1)
        let single = Fixture.recipients(1, numbers: 1, from: 50)
        let refusedSingle = await fixture.campaignRefusal {
            try await fixture.store.addRecipients(
                workspaceId: fixture.workspace, campaignId: draft.id, single, singleCall: true)
        }
        #expect(refusedSingle == .notActive)
        let running = try await fixture.launch(draft)
        let refusedUpload = await fixture.campaignRefusal {
            try await fixture.store.addRecipients(
                workspaceId: fixture.workspace, campaignId: running.id, single, singleCall: false)
        }
        #expect(refusedUpload == .notEditable)
        let added = try await fixture.store.addRecipients(
            workspaceId: fixture.workspace, campaignId: running.id, single, singleCall: true)
        #expect(added.firstIndex == 2 && added.campaign.progress.recipients == 2)
    }

    @Test("actions persist; the state machine refuses what cannot happen", arguments: Backend.all)
    func actions(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let campaign = try await fixture.launch(try await fixture.campaign(recipients: 2))
        #expect(campaign.status == .running && campaign.startedAt == fixture.clock.now())
        let paused = try await fixture.act(campaign, .pause)
        #expect(paused.status == .paused && paused.pauseReason == .user)
        #expect(
            await fixture.campaignRefusal {
                try await fixture.act(paused, .launch(at: nil, shortfall: 0, acknowledged: false))
            } == .invalidTransition)
        let resumed = try await fixture.act(paused, .resume)
        #expect(resumed.status == .running)
        let read = try await fixture.store.campaign(workspaceId: fixture.workspace, campaignId: campaign.id)
        #expect(read == resumed)
    }

    @Test("the runner is shown running, scheduled and credit-paused campaigns, not drafts", arguments: Backend.all)
    func dueCampaigns(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        _ = try await fixture.campaign(recipients: 1)
        #expect(try await fixture.store.dueCampaigns(limit: 10).isEmpty, "a draft has no work")
        let later = fixture.clock.now().addingTimeInterval(3600)
        let scheduled = try await fixture.act(
            try await fixture.campaign(recipients: 1), .launch(at: later, shortfall: 0, acknowledged: false))
        #expect(scheduled.status == .scheduled && scheduled.launchAt == later)
        let creditPaused = try await fixture.act(
            try await fixture.launch(try await fixture.campaign(recipients: 1)), .outOfCredits)
        let userPaused = try await fixture.act(
            try await fixture.launch(try await fixture.campaign(recipients: 1)), .pause)
        let due = try await fixture.store.dueCampaigns(limit: 10).map(\.campaignId)
        #expect(Set(due) == [scheduled.id, creditPaused.id])
        #expect(!due.contains(userPaused.id))
    }

    @Test("claims fill the free lines and mark recipients active at their first number", arguments: Backend.all)
    func claimFillsLines(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let campaign = try await fixture.launch(try await fixture.campaign(recipients: 5, numbers: 2))
        let first = try await fixture.claim(campaign)
        #expect(first.claimed.map(\.index) == [1, 2])
        #expect(first.claimed.allSatisfy { $0.state == .active && $0.position == 1 })
        #expect(first.claimed[0].attemptId == "\(campaign.id):1:1")
        #expect(first.campaign.progress.active == 2)
        #expect(try await fixture.claim(campaign).claimed.isEmpty, "both lines are busy")
        let active = try await fixture.store.activeRecipients(workspaceId: fixture.workspace, campaignId: campaign.id)
        #expect(active.map(\.index) == [1, 2])
    }

    @Test("a miss moves the recipient to its next number, dialed before new recipients", arguments: Backend.all)
    func fallbackNumbers(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let campaign = try await fixture.launch(try await fixture.campaign(recipients: 5, numbers: 2))
        let claimed = try await fixture.claim(campaign).claimed
        var updated = try await fixture.record(campaign, claimed[0], .missed)
        #expect(updated.progress.active == 1 && updated.progress.creditsSpent == 1)
        let next = try await fixture.claim(campaign).claimed
        #expect(next.map(\.index) == [1] && next[0].position == 2 && next[0].attemptId == "\(campaign.id):1:2")
        updated = try await fixture.record(campaign, next[0], .answered)
        #expect(updated.progress.done == 1 && updated.progress.answered == 1 && updated.progress.creditsSpent == 2)
        let page = try await fixture.store.recipients(
            workspaceId: fixture.workspace, campaignId: campaign.id, after: nil, limit: 1)
        #expect(page.recipients[0].state == .done && page.recipients[0].outcome == .answered)
    }

    @Test("an outcome recorded twice, or for an attempt that is not open, changes nothing", arguments: Backend.all)
    func outcomesOnce(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let campaign = try await fixture.launch(try await fixture.campaign(recipients: 3))
        let claimed = try await fixture.claim(campaign).claimed
        let once = try await fixture.record(campaign, claimed[0], .missed)
        let twice = try await fixture.record(campaign, claimed[0], .missed)
        #expect(twice.progress == once.progress)
        var stale = claimed[1]
        stale.position = 7
        let outcome = AttemptOutcome(
            recipientIndex: stale.index, attemptId: "\(campaign.id):2:9", status: .answered, creditsCharged: 1,
            dialedAt: fixture.clock.now())
        let unchanged = try await fixture.store.recordOutcomes(
            workspaceId: fixture.workspace, campaignId: campaign.id, [outcome])
        #expect(unchanged.progress == once.progress)
    }

    @Test("when every recipient is done the campaign completes", arguments: Backend.all)
    func completes(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let campaign = try await fixture.launch(try await fixture.campaign(recipients: 2, numbers: 1))
        let claimed = try await fixture.claim(campaign).claimed
        _ = try await fixture.record(campaign, claimed[0], .failed)
        let done = try await fixture.record(campaign, claimed[1], .dnc)
        #expect(done.status == .completed && done.endedAt == fixture.clock.now())
        #expect(done.progress.done == 2 && done.progress.attemptsDialed == 1 && done.progress.creditsSpent == 0)
        #expect(try await fixture.store.dueCampaigns(limit: 10).isEmpty)
    }

    @Test("cancel ends every pending recipient; open attempts still record their end", arguments: Backend.all)
    func cancel(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let campaign = try await fixture.launch(try await fixture.campaign(recipients: 5, numbers: 2))
        let claimed = try await fixture.claim(campaign).claimed
        let cancelled = try await fixture.act(campaign, .cancel)
        #expect(cancelled.status == .cancelled && cancelled.progress.done == 3 && cancelled.progress.active == 2)
        #expect(try await fixture.claim(campaign).claimed.isEmpty)
        let due = try await fixture.store.dueCampaigns(limit: 10)
        #expect(due.map(\.campaignId) == [campaign.id], "its open attempts still need their ends recorded")
        _ = try await fixture.record(campaign, claimed[0], .missed)
        let after = try await fixture.record(campaign, claimed[1], .cancelled)
        #expect(after.status == .cancelled && after.progress.done == 5 && after.progress.active == 0)
        #expect(after.progress.creditsSpent == 1)
        let page = try await fixture.store.recipients(
            workspaceId: fixture.workspace, campaignId: campaign.id, after: nil, limit: 10)
        #expect(page.recipients.allSatisfy { $0.state == .done && $0.outcome == .cancelled })
        #expect(try await fixture.store.dueCampaigns(limit: 10).isEmpty)
    }

    @Test("the cap holds dialing to spent plus in-flight credits, then pauses the campaign", arguments: Backend.all)
    func creditCap(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let campaign = try await fixture.launch(try await fixture.campaign(recipients: 5, cap: 1))
        let claimed = try await fixture.claim(campaign).claimed
        #expect(claimed.count == 1, "one credit of room: one attempt in flight")
        _ = try await fixture.record(campaign, claimed[0], .answered)
        let paused = try await fixture.claim(campaign)
        #expect(paused.claimed.isEmpty && paused.campaign.status == .paused)
        #expect(paused.campaign.pauseReason == .creditCap)
        let raised = try await fixture.act(paused.campaign, .setCreditCap(3))
        #expect(raised.status == .running && raised.creditCap == 3)
        #expect(try await fixture.claim(campaign).claimed.count == 2)
    }

    @Test("the daily limit counts dialed attempts of the local day, not DNC ones", arguments: Backend.all)
    func dailyLimit(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        var pacing = alwaysOpen
        pacing.dailyAttemptLimit = 2
        pacing.lines = 5
        let campaign = try await fixture.launch(try await fixture.campaign(recipients: 5, pacing: pacing))
        let claimed = try await fixture.claim(campaign).claimed
        #expect(claimed.count == 2)
        _ = try await fixture.record(campaign, claimed[0], .dnc)
        #expect(try await fixture.claim(campaign).claimed.count == 1, "the DNC number was never dialed")
        _ = try await fixture.record(campaign, claimed[1], .failed)
        #expect(try await fixture.claim(campaign).claimed.isEmpty, "two dialed today")
        fixture.clock.advance(seconds: 86_400)
        #expect(try await fixture.claim(campaign).claimed.count == 1, "a new day: one more (one is still open)")
    }

    @Test("single calls are claimed before uploaded recipients", arguments: Backend.all)
    func singleCallsFirst(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let campaign = try await fixture.launch(try await fixture.campaign(recipients: 4))
        let added = try await fixture.store.addRecipients(
            workspaceId: fixture.workspace, campaignId: campaign.id, Fixture.recipients(1, numbers: 1, from: 90),
            singleCall: true)
        let claimed = try await fixture.claim(campaign).claimed
        #expect(claimed.map(\.index) == [added.firstIndex, 1] && claimed[0].singleCall && claimed[0].row == nil)
    }

    @Test("claims made at once never take one recipient twice", arguments: Backend.all)
    func concurrentClaims(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        var pacing = alwaysOpen
        pacing.lines = 40
        let campaign = try await fixture.launch(try await fixture.campaign(recipients: 30, pacing: pacing))
        let claims = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 { group.addTask { try await fixture.claim(campaign, limit: 5).claimed.map(\.index) } }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(claims.count == 30 && Set(claims).count == 30)
        let read = try await fixture.store.campaign(workspaceId: fixture.workspace, campaignId: campaign.id)
        #expect(read?.progress.active == 30)
    }
}
