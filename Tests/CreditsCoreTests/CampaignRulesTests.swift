import CreditsCore
import Foundation
import Testing

/// The campaign state machine.
@Suite("Campaign rules")
struct CampaignRulesTests {
    let now = Date(timeIntervalSince1970: 1_767_225_600)

    func campaign(_ status: CampaignStatus = .draft, reason: CampaignPauseReason? = nil, recipients: Int = 3)
        -> Campaign
    {
        Campaign(
            id: "cmp_1", workspaceId: "ws_1", walletId: "wal_1", name: "Spring", status: status, pauseReason: reason,
            pacing: Pacing(timeZone: TimeZone(identifier: "UTC")!), progress: CampaignProgress(recipients: recipients),
            createdAt: now)
    }

    func apply(_ action: CampaignAction, _ campaign: Campaign) throws(CampaignRefusal) -> Campaign {
        try CampaignRules.apply(action, to: campaign, now: now)
    }

    func refusal(_ action: CampaignAction, _ campaign: Campaign) -> CampaignRefusalCode? {
        do {
            _ = try apply(action, campaign)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("launch now runs the campaign; launch at a later time schedules it")
    func launchNowOrLater() throws {
        let running = try apply(.launch(at: nil, shortfall: 0, acknowledged: false), campaign())
        #expect(running.status == .running && running.startedAt == now)
        let later = now.addingTimeInterval(3600)
        let scheduled = try apply(.launch(at: later, shortfall: 0, acknowledged: false), campaign())
        #expect(scheduled.status == .scheduled && scheduled.launchAt == later && scheduled.startedAt == nil)
        let started = try CampaignRules.apply(.startScheduled, to: scheduled, now: later)
        #expect(started.status == .running && started.startedAt == later && started.launchAt == nil)
    }

    @Test("a launch with a shortfall needs an explicit acknowledgement")
    func shortfallNeedsAcknowledgement() throws {
        #expect(refusal(.launch(at: nil, shortfall: 5, acknowledged: false), campaign()) == .shortfallNotAcknowledged)
        let launched = try apply(.launch(at: nil, shortfall: 5, acknowledged: true), campaign())
        #expect(launched.status == .running && launched.shortfallAcknowledged)
    }

    @Test("a campaign without recipients cannot launch, and only a draft can")
    func launchNeedsRecipientsAndADraft() {
        #expect(refusal(.launch(at: nil, shortfall: 0, acknowledged: false), campaign(recipients: 0)) == .noRecipients)
        #expect(
            refusal(.launch(at: nil, shortfall: 0, acknowledged: false), campaign(.running)) == .invalidTransition)
    }

    @Test("out of credits pauses with that reason and credits arriving resume it")
    func outOfCreditsPausesAndResumesByItself() throws {
        let paused = try apply(.outOfCredits, campaign(.running))
        #expect(paused.status == .paused && paused.pauseReason == .outOfCredits)
        let resumed = try apply(.creditsArrived, paused)
        #expect(resumed.status == .running && resumed.pauseReason == nil)
    }

    @Test("credits arriving do not resume a campaign its owner paused")
    func ownersPauseWins() throws {
        let automatic = try apply(.outOfCredits, campaign(.running))
        let paused = try apply(.pause, automatic)
        #expect(paused.pauseReason == .user)
        #expect(try apply(.creditsArrived, paused) == paused)
        #expect(try apply(.resume, paused).status == .running)
    }

    @Test("reaching the credit cap pauses; raising it above what is spent resumes")
    func creditCap() throws {
        var running = campaign(.running)
        running.creditCap = 10
        running.progress.creditsSpent = 10
        let paused = try apply(.creditCapReached, running)
        #expect(paused.status == .paused && paused.pauseReason == .creditCap)
        #expect(refusal(.resume, paused) == .invalidTransition)
        let same = try apply(.setCreditCap(10), paused)
        #expect(same.status == .paused && same.pauseReason == .creditCap)
        let raised = try apply(.setCreditCap(15), paused)
        #expect(raised.status == .running && raised.creditCap == 15)
        let uncapped = try apply(.setCreditCap(nil), paused)
        #expect(uncapped.status == .running && uncapped.creditCap == nil)
    }

    @Test("cancel ends any campaign that has not ended; an ended campaign never moves")
    func cancel() throws {
        for status in [CampaignStatus.draft, .scheduled, .running] {
            let cancelled = try apply(.cancel, campaign(status))
            #expect(cancelled.status == .cancelled && cancelled.endedAt == now)
        }
        #expect(try apply(.cancel, campaign(.paused, reason: .user)).status == .cancelled)
        for status in [CampaignStatus.cancelled, .completed] {
            #expect(refusal(.cancel, campaign(status)) == .invalidTransition)
            #expect(refusal(.resume, campaign(status)) == .invalidTransition)
            #expect(try apply(.finished, campaign(status)) == campaign(status))
        }
    }

    @Test("pause and resume are refused where they make no sense")
    func pauseResumeRefusals() {
        #expect(refusal(.pause, campaign(.draft)) == .invalidTransition)
        #expect(refusal(.pause, campaign(.scheduled)) == .invalidTransition)
        #expect(refusal(.resume, campaign(.running)) == .invalidTransition)
    }

    @Test("the runner's observations that no longer apply change nothing")
    func staleObservations() throws {
        let paused = campaign(.paused, reason: .user)
        #expect(try apply(.outOfCredits, paused) == paused)
        #expect(try apply(.creditCapReached, paused) == paused)
        #expect(try apply(.startScheduled, campaign(.cancelled)) == campaign(.cancelled))
    }

    @Test("a running or paused campaign completes when every recipient has ended")
    func completes() throws {
        #expect(try apply(.finished, campaign(.running)).status == .completed)
        #expect(try apply(.finished, campaign(.paused, reason: .outOfCredits)).status == .completed)
    }
}
