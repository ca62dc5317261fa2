import CreditsCore
import CreditsServer
import CreditsStore
import Foundation
import Logging
import Synchronization
import Testing

/// A telephony that counts the calls it is asked to place, then lets the simulated carrier place them.
final class CountingTelephony: Telephony {
    let inner: SimulatedTelephony
    let placed = Mutex<[AttemptID: Int]>([:])

    init(_ inner: SimulatedTelephony) { self.inner = inner }

    func place(_ call: CallRequest) async throws {
        placed.withLock { $0[call.attemptId, default: 0] += 1 }
        try await inner.place(call)
    }

    func hangUp(workspaceId: WorkspaceID, attemptId: AttemptID) async {
        await inner.hangUp(workspaceId: workspaceId, attemptId: attemptId)
    }
}

/// A campaign runner over a fixture's store, dialing through the simulated carrier on the fixture's clock.
struct RunnerFixture {
    let fixture: Fixture
    let telephony: SimulatedTelephony
    let counting: CountingTelephony
    let runner: CampaignRunner
    let simulation: CampaignSimulation

    static let logger: Logger = {
        var logger = Logger(label: "runner-test")
        logger.logLevel = .critical
        return logger
    }()

    init(_ fixture: Fixture, store: (any ServiceStore)? = nil, carrier: SimulatedCarrier) {
        self.fixture = fixture
        let store = store ?? fixture.store
        telephony = SimulatedTelephony(
            carrier: carrier, clock: fixture.clock, callbacks: ProviderCallbacks(store: store, source: "simulator"),
            logger: Self.logger)
        counting = CountingTelephony(telephony)
        runner = CampaignRunner(store: store, telephony: counting, clock: fixture.clock, logger: Self.logger)
        simulation = CampaignSimulation(runner: runner, telephony: telephony, clock: fixture.clock)
    }

    static func make(
        _ backend: Backend, carrier: SimulatedCarrier, clock: ManualClock = ManualClock()
    ) async throws -> RunnerFixture {
        RunnerFixture(try await Fixture.make(backend, clock: clock), carrier: carrier)
    }

    /// Every attempt of the campaign, oldest first.
    func attempts(_ campaign: Campaign) async throws -> [CallAttempt] {
        var all: [CallAttempt] = []
        var cursor: AttemptID?
        repeat {
            let page = try await fixture.store.attempts(
                AttemptQuery(workspaceId: fixture.workspace, campaignId: campaign.id, limit: 500, after: cursor))
            all += page.attempts
            cursor = page.nextCursor
        } while cursor != nil
        return all
    }

    func reload(_ campaign: Campaign) async throws -> Campaign {
        try #require(try await fixture.store.campaign(workspaceId: fixture.workspace, campaignId: campaign.id))
    }

    /// A launched campaign with the given recipients' numbers.
    func launch(
        _ numbers: [[String]], pacing: PacingSettings = alwaysOpen, cap: Credits? = nil, walletId: WalletID? = nil
    ) async throws -> Campaign {
        let created = try await fixture.store.createCampaign(
            NewCampaign(workspaceId: fixture.workspace, walletId: walletId, name: "Run", creditCap: cap, pacing: pacing)
        )
        let recipients = numbers.enumerated().map { index, list in
            Recipient(row: index + 2, numbers: list.map { try! PhoneNumber($0) })
        }
        _ = try await fixture.store.addRecipients(
            workspaceId: fixture.workspace, campaignId: created.id, recipients, singleCall: false)
        return try await fixture.launch(created)
    }
}

/// A carrier whose listed numbers end as given; every other number reaches a person.
func scripted(_ outcomes: [String: SimulatedOutcome]) -> SimulatedCarrier {
    let person = OutcomeOdds(person: 1, voicemail: 0, machine: 0, busy: 0, noAnswer: 0, failed: 0)
    return SimulatedCarrier(seed: 1, profile: CarrierProfile(byPosition: [person]), scripted: outcomes)
}

/// `count` US numbers starting at `first`.
func numbers(_ count: Int, from first: Int = 0) -> [String] {
    (first..<first + count).map { "+1415555" + String(format: "%04d", $0) }
}

/// The campaign runner end to end: claims, dials through the simulated carrier, records outcomes.
@Suite("Campaign runner")
struct CampaignRunnerTests {
    @Test(
        "fallback numbers: two voicemails then a person cost three credits; all failing costs none",
        arguments: Backend.all)
    func fallbackNumbers(backend: Backend) async throws {
        let three = numbers(3)
        let failing = numbers(3, from: 10)
        let carrier = scripted([
            three[0]: .voicemail, three[1]: .voicemail, three[2]: .person,
            failing[0]: .busy, failing[1]: .noAnswer, failing[2]: .failed,
        ])
        let run = try await RunnerFixture.make(backend, carrier: carrier)
        try await run.fixture.grant(10)
        let campaign = try await run.launch([three, failing])
        #expect(try await run.simulation.run().idle)
        let attempts = try await run.attempts(campaign)
        let first = attempts.filter { $0.recipientId == "\(campaign.id):1" }.sorted {
            $0.numberPosition! < $1.numberPosition!
        }
        let second = attempts.filter { $0.recipientId == "\(campaign.id):2" }
        #expect(first.map(\.status) == [.missed, .missed, .answered])
        #expect(first.map(\.outcome) == [.missedVoicemailLeft, .missedVoicemailLeft, .answeredFullConversation])
        #expect(first.map(\.creditsCharged).reduce(.zero, +) == 3)
        #expect(second.map(\.status) == [.failed, .failed, .failed])
        #expect(second.map(\.creditsCharged).reduce(.zero, +) == 0)
        let done = try await run.reload(campaign)
        #expect(done.status == .completed && done.progress.creditsSpent == 3 && done.progress.answered == 1)
        let balance = try await run.fixture.balance()
        #expect(balance.available == 7 && balance.held == 0)
        try await run.fixture.expectClean()
    }

    @Test(
        "cancel mid-campaign: nothing more is dialed, unconnected calls end Cancelled, holds released",
        arguments: Backend.all)
    func cancelMidCampaign(backend: Backend) async throws {
        var profile = CarrierProfile.standard
        profile.byPosition = [OutcomeOdds(person: 1, voicemail: 0, machine: 0, busy: 0, noAnswer: 0, failed: 0)]
        profile.ringSeconds = 20...20
        profile.talkSeconds = 100...100
        profile.hungUpImmediatelyShare = 0
        let run = try await RunnerFixture.make(backend, carrier: SimulatedCarrier(seed: 2, profile: profile))
        try await run.fixture.grant(100)
        var pacing = alwaysOpen
        pacing.lines = 3
        let campaign = try await run.launch(numbers(10).map { [$0] }, pacing: pacing)
        // Three calls connect at 20 s; at 60 s three more are ringing when the campaign is cancelled.
        await run.runner.tick()
        run.fixture.clock.advance(seconds: 20)
        await run.telephony.deliverDue(now: run.fixture.clock.now())
        run.fixture.clock.advance(seconds: 100)
        await run.telephony.deliverDue(now: run.fixture.clock.now())
        await run.runner.tick()
        run.fixture.clock.advance(seconds: 10)
        await run.telephony.deliverDue(now: run.fixture.clock.now())
        #expect(try await run.fixture.balance().held == 3, "three calls ringing, one credit held each")
        let cancelled = try await run.runner.cancel(workspaceId: run.fixture.workspace, campaignId: campaign.id)
        #expect(cancelled.status == .cancelled)
        #expect(try await run.fixture.balance().held == 0, "hung up before connecting: refunded at once")
        try await run.simulation.run()
        let attempts = try await run.attempts(campaign)
        #expect(attempts.count == 6, "nothing was dialed after the cancel")
        #expect(attempts.filter { $0.status == .answered }.count == 3)
        #expect(attempts.filter { $0.status == .cancelled }.count == 3)
        let after = try await run.reload(campaign)
        #expect(after.progress.done == 10 && after.progress.active == 0 && after.progress.creditsSpent == 3)
        #expect(try await run.fixture.balance().available == 97)
        try await run.fixture.expectClean()
    }

    @Test(
        "out of credits pauses the campaign, its next attempt Waiting; credits arriving resume it",
        arguments: Backend.all)
    func outOfCreditsPauseAndResume(backend: Backend) async throws {
        let run = try await RunnerFixture.make(backend, carrier: scripted([:]))
        try await run.fixture.grant(2)
        var pacing = alwaysOpen
        pacing.lines = 1
        let campaign = try await run.launch(numbers(4).map { [$0] }, pacing: pacing)
        #expect(try await run.simulation.run().idle)
        let paused = try await run.reload(campaign)
        #expect(paused.status == .paused && paused.pauseReason == .outOfCredits)
        var attempts = try await run.attempts(campaign)
        #expect(attempts.map(\.status) == [.answered, .answered, .waiting])
        let notified = try await run.fixture.store.emit(
            .campaignPausedForCredits(
                workspaceId: run.fixture.workspace, campaignId: campaign.id, walletId: campaign.walletId,
                pausedAt: paused.updatedAt))
        #expect(!notified.created, "the runner emitted campaign.paused_for_credits for this pause")
        try await run.fixture.grant(5)
        #expect(try await run.simulation.run().idle)
        let done = try await run.reload(campaign)
        #expect(done.status == .completed && done.progress.answered == 4)
        attempts = try await run.attempts(campaign)
        #expect(attempts.map(\.status) == [.answered, .answered, .answered, .answered])
        #expect(try await run.fixture.balance().available == 3)
        try await run.fixture.expectClean()
    }

    @Test(
        "a Waiting attempt of a campaign paused for credits becomes Cancelled when it is cancelled",
        arguments: Backend.all)
    func cancelWhileWaitingForCredits(backend: Backend) async throws {
        let run = try await RunnerFixture.make(backend, carrier: scripted([:]))
        try await run.fixture.grant(1)
        var pacing = alwaysOpen
        pacing.lines = 1
        let campaign = try await run.launch(numbers(3).map { [$0] }, pacing: pacing)
        try await run.simulation.run()
        #expect(try await run.attempts(campaign).map(\.status) == [.answered, .waiting])
        let cancelled = try await run.runner.cancel(workspaceId: run.fixture.workspace, campaignId: campaign.id)
        #expect(cancelled.progress.active == 0 && cancelled.progress.done == 3)
        #expect(try await run.attempts(campaign).map(\.status) == [.answered, .cancelled])
        try await run.fixture.grant(5)
        try await run.simulation.run()
        #expect(try await run.attempts(campaign).count == 2, "credits arriving do not revive a cancelled campaign")
        try await run.fixture.expectClean()
    }

    @Test("reaching the credit cap pauses the campaign; raising the cap resumes it", arguments: Backend.all)
    func creditCap(backend: Backend) async throws {
        let run = try await RunnerFixture.make(backend, carrier: scripted([:]))
        try await run.fixture.grant(100)
        let campaign = try await run.launch(numbers(5).map { [$0] }, cap: 2)
        try await run.simulation.run()
        var current = try await run.reload(campaign)
        #expect(current.status == .paused && current.pauseReason == .creditCap)
        #expect(current.progress.creditsSpent == 2)
        #expect(try await run.attempts(campaign).count == 2)
        current = try await run.fixture.act(current, .setCreditCap(4))
        #expect(current.status == .running)
        try await run.simulation.run()
        current = try await run.reload(campaign)
        #expect(current.status == .paused && current.pauseReason == .creditCap && current.progress.creditsSpent == 4)
        current = try await run.fixture.act(current, .setCreditCap(nil))
        try await run.simulation.run()
        current = try await run.reload(campaign)
        #expect(current.status == .completed && current.progress.creditsSpent == 5)
        #expect(try await run.fixture.balance().available == 95)
    }

    @Test("pacing: calling hours and days in the workspace's zone, the daily limit, the lines", arguments: Backend.all)
    func pacing(backend: Backend) async throws {
        // Friday 2026-01-02 16:50 in Berlin (UTC+1).
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-01-02T15:50:00Z")!)
        let everyNumberFails = scripted(Dictionary(uniqueKeysWithValues: numbers(10).map { ($0, .failed) }))
        let run = try await RunnerFixture.make(backend, carrier: everyNumberFails, clock: clock)
        try await run.fixture.grant(100)
        let pacing = PacingSettings(
            activeDays: Weekday.workdays, callingStartMinutes: 9 * 60, callingEndMinutes: 17 * 60,
            dailyAttemptLimit: 3, lines: 2)
        let campaign = try await run.launch(numbers(10).map { [$0] }, pacing: pacing)
        let telephony = run.telephony
        let result = try await run.simulation.run {
            #expect(telephony.callsInProgress <= 2, "never more calls than lines")
            return false
        }
        #expect(result.idle)
        #expect(try await run.reload(campaign).status == .completed)
        var berlin = Calendar(identifier: .gregorian)
        berlin.timeZone = TimeZone(identifier: "Europe/Berlin")!
        var perDay: [String: Int] = [:]
        for attempt in try await run.attempts(campaign) {
            let dialed = try #require(attempt.dialedAt)
            let parts = berlin.dateComponents([.weekday, .hour, .year, .month, .day], from: dialed)
            #expect((2...6).contains(parts.weekday!), "dialed on a weekday")
            #expect((9..<17).contains(parts.hour!), "dialed within calling hours")
            perDay["\(parts.month!)-\(parts.day!)", default: 0] += 1
        }
        #expect(perDay.values.allSatisfy { $0 <= 3 })
        #expect(perDay == ["1-2": 3, "1-5": 3, "1-6": 3, "1-7": 1], "Friday, then Monday to Wednesday")
    }

    @Test("a campaign launched for later starts dialing at that time", arguments: Backend.all)
    func scheduledLaunch(backend: Backend) async throws {
        let run = try await RunnerFixture.make(backend, carrier: scripted([:]))
        try await run.fixture.grant(10)
        let created = try await run.fixture.campaign(recipients: 2)
        let at = run.fixture.clock.now().addingTimeInterval(7_200)
        _ = try await run.fixture.act(created, .launch(at: at, shortfall: 0, acknowledged: false))
        #expect(try await run.simulation.run().idle)
        #expect(try await run.reload(created).status == .completed)
        let attempts = try await run.attempts(created)
        #expect(attempts.count == 2 && attempts.allSatisfy { ($0.dialedAt ?? .distantPast) >= at })
    }

    @Test("two runners on one store never dial one attempt twice", arguments: Backend.all)
    func twoRunners(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let carrier = SimulatedCarrier(seed: 9)
        let first = RunnerFixture(fixture, carrier: carrier)
        let second = RunnerFixture(
            fixture, store: try await backend.sibling(of: fixture.store, clock: fixture.clock), carrier: carrier)
        try await fixture.grant(1_000)
        var pacing = alwaysOpen
        pacing.lines = 20
        let campaign = try await first.launch((0..<60).map { numbers(2, from: $0 * 2) }, pacing: pacing)
        for round in 0..<400 {
            // At once, or one after the other in turns, so each runner also gets to claim first.
            switch round % 3 {
            case 0:
                async let one = first.runner.tick()
                async let two = second.runner.tick()
                _ = await (one, two)
            case 1:
                await second.runner.tick()
                await first.runner.tick()
            default:
                await first.runner.tick()
                await second.runner.tick()
            }
            if try await first.reload(campaign).status == .completed { break }
            fixture.clock.advance(seconds: 5)
            await first.telephony.deliverDue(now: fixture.clock.now())
            await second.telephony.deliverDue(now: fixture.clock.now())
        }
        #expect(try await first.reload(campaign).status == .completed)
        let placed = first.counting.placed.withLock { $0 }.merging(second.counting.placed.withLock { $0 }) { $0 + $1 }
        let dialed = try await first.attempts(campaign).filter { $0.dialedAt != nil }
        #expect(placed.values.allSatisfy { $0 == 1 }, "an attempt placed twice: \(placed.filter { $0.value > 1 })")
        #expect(Set(placed.keys) == Set(dialed.map(\.id)))
        #expect(first.counting.placed.withLock { !$0.isEmpty } && second.counting.placed.withLock { !$0.isEmpty })
        try await fixture.expectClean()
    }
}
