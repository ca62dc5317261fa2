import CreditsCore
import CreditsStore
import Foundation
import Logging
import ServiceLifecycle

/// Dials campaigns (docs/campaigns.md). Every `tickSeconds` it looks at each campaign with work and:
/// starts a scheduled one whose time came; resumes one paused for credits once its wallet has some;
/// records how its open attempts ended (moving each recipient to its next number or to done); and, while it
/// runs, claims pending recipients within its pacing and cap and dials them.
///
/// Several runners (service instances on one PostgreSQL) may tick the same campaign: the store hands each
/// recipient to one claim, attempt ids are fixed per recipient and number, and only the runner whose
/// "dialing started" moved the attempt from Waiting to Calling places the call. No attempt is dialed twice.
public final class CampaignRunner: Service {
    let store: any ServiceStore
    let telephony: any Telephony
    let clock: any CreditsClock
    let tickSeconds: Double
    let logger: Logger
    /// Recipients claimed per store call, and attempts dialed side by side.
    static let claimBatchMax = 500
    static let dialsInParallelMax = 64
    /// Campaigns looked at per tick.
    static let campaignsPerTickMax = 1_000

    public init(
        store: any ServiceStore, telephony: any Telephony, clock: any CreditsClock, tickSeconds: Double = 1,
        logger: Logger
    ) {
        precondition(tickSeconds > 0, "the tick must be positive")
        self.store = store
        self.telephony = telephony
        self.clock = clock
        self.tickSeconds = tickSeconds
        self.logger = logger
    }

    /// Ticks every `tickSeconds` until graceful shutdown. A failed tick is logged and the next one tries
    /// again: every step is idempotent.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .seconds(self.tickSeconds))
                } catch {
                    return
                }
                await self.tick()
            }
        }
    }

    /// What one tick did, for tests, the simulation and logs.
    public struct TickReport: Sendable, Equatable {
        public var campaigns = 0
        /// Calls placed.
        public var dialed = 0
        /// Ended attempts recorded.
        public var recorded = 0
        /// The earliest time a campaign that had nothing to do may have work again (calling hours open, a
        /// scheduled launch); nil when none waits for a time.
        public var wakeAt: Date?

        mutating func add(_ other: TickReport) {
            campaigns += other.campaigns
            dialed += other.dialed
            recorded += other.recorded
            if let time = other.wakeAt { wakeAt = min(wakeAt ?? time, time) }
        }
    }

    /// One pass over every campaign with work. Errors of one campaign are logged; the others go on.
    @discardableResult
    public func tick() async -> TickReport {
        let now = clock.now()
        var report = TickReport()
        let due: [CampaignKey]
        do {
            due = try await store.dueCampaigns(limit: Self.campaignsPerTickMax)
        } catch {
            logger.error("campaign runner: listing campaigns failed", metadata: ["error": "\(error)"])
            return report
        }
        await withTaskGroup(of: TickReport.self) { group in
            for key in due {
                group.addTask {
                    do {
                        return try await self.tick(key, now: now)
                    } catch {
                        self.logger.error(
                            "campaign tick failed", metadata: ["campaign": "\(key.campaignId)", "error": "\(error)"])
                        return TickReport()
                    }
                }
            }
            for await one in group { report.add(one) }
        }
        report.campaigns = due.count
        return report
    }

    /// One campaign's tick.
    public func tick(_ key: CampaignKey, now: Date) async throws -> TickReport {
        guard var campaign = try await store.campaign(workspaceId: key.workspaceId, campaignId: key.campaignId) else {
            return TickReport()
        }
        var report = TickReport()
        if campaign.status == .scheduled {
            guard let launchAt = campaign.launchAt, launchAt <= now else {
                report.wakeAt = campaign.launchAt
                return report
            }
            campaign = try await act(campaign, .startScheduled)
        }
        if campaign.status == .paused, campaign.pauseReason == .outOfCredits {
            let balance = try await store.balance(workspaceId: campaign.workspaceId, walletId: campaign.walletId)
            if balance.available > .zero {
                campaign = try await act(campaign, .creditsArrived)
                logger.info("campaign resumed: credits arrived", metadata: ["campaign": "\(campaign.id)"])
            }
        }
        if campaign.progress.active > 0 {
            let settled = try await settle(campaign)
            campaign = settled.campaign
            report.add(settled.report)
        }
        if campaign.status == .running {
            let dialing = try await dialNew(campaign, now: now)
            campaign = dialing.campaign
            report.add(dialing.report)
            let progress = campaign.progress
            if dialing.report.dialed == 0, campaign.status == .running, progress.pending > 0, progress.active == 0 {
                let dialedToday = progress.dialedToday(campaign.pacing.localDay(of: now))
                report.wakeAt = campaign.pacing.nextDialTime(after: now, dialedToday: dialedToday)
            }
        }
        return report
    }

    /// Cancels a campaign: pending recipients end, Waiting attempts become Cancelled (no credit was held),
    /// and calls not yet connected are hung up (their holds are released when the provider reports it).
    public func cancel(workspaceId: WorkspaceID, campaignId: CampaignID) async throws -> Campaign {
        let campaign = try await store.applyCampaignAction(
            workspaceId: workspaceId, campaignId: campaignId, .cancel)
        return try await settle(campaign).campaign
    }

    /// A runner over the built-in simulated carrier (`seed` nil: a random one), delivering on `clock`.
    public static func simulated(
        store: any ServiceStore, clock: any CreditsClock, seed: UInt64?, tickSeconds: Double, logger: Logger
    ) -> CampaignRunner {
        let telephony = SimulatedTelephony(
            carrier: SimulatedCarrier(seed: seed ?? UInt64.random(in: 0...UInt64.max)), clock: clock,
            callbacks: ProviderCallbacks(store: store, source: "simulator"), logger: logger)
        return CampaignRunner(
            store: store, telephony: telephony, clock: clock, tickSeconds: tickSeconds, logger: logger)
    }

    /// The services to run with the app: the runner, and its telephony when that is a service too.
    var services: [any Service] {
        if let service = telephony as? any Service { return [self, service] }
        return [self]
    }

    // MARK: Steps

    private func act(_ campaign: Campaign, _ action: CampaignAction) async throws -> Campaign {
        try await store.applyCampaignAction(workspaceId: campaign.workspaceId, campaignId: campaign.id, action)
    }

    /// Looks at the active recipients' attempts: records those that ended; for a running campaign starts those
    /// still Waiting (a dial that ran out of credits, or a runner that stopped between claim and dial); for a
    /// cancelled one cancels the Waiting and hangs up the Calling ones.
    private func settle(_ campaign: Campaign) async throws -> (campaign: Campaign, report: TickReport) {
        let active = try await store.activeRecipients(workspaceId: campaign.workspaceId, campaignId: campaign.id)
        let found = try await attempts(campaign, active)
        var outcomes: [AttemptOutcome] = []
        var toStart: [CampaignRecipient] = []
        var calling: [CampaignRecipient] = []
        for recipient in active {
            guard let attempt = found[recipient.attemptId] else {
                // Claimed, never created: a runner stopped in between.
                if campaign.status == .running { toStart.append(recipient) }
                continue
            }
            switch (campaign.status, attempt.status) {
            case (_, let status) where status.isFinal: outcomes.append(Self.outcome(recipient, attempt))
            case (.running, .waiting): toStart.append(recipient)
            case (.cancelled, .waiting):
                let update = try await store.cancelAttempt(
                    workspaceId: campaign.workspaceId, attemptId: attempt.id, reason: "campaign_cancelled")
                outcomes.append(Self.outcome(recipient, update.attempt))
            case (.cancelled, .calling):
                await telephony.hangUp(workspaceId: campaign.workspaceId, attemptId: attempt.id)
                calling.append(recipient)
            default: break
            }
        }
        var current = campaign
        var report = TickReport()
        if !outcomes.isEmpty {
            current = try await store.recordOutcomes(
                workspaceId: campaign.workspaceId, campaignId: campaign.id, outcomes)
            report.recorded = outcomes.count
        }
        if campaign.status == .cancelled {
            // Hang-ups reported at once (the simulated carrier) ended attempts: record them now.
            let ended = try await endedAttempts(campaign, calling)
            if !ended.isEmpty {
                current = try await store.recordOutcomes(
                    workspaceId: campaign.workspaceId, campaignId: campaign.id, ended)
                report.recorded += ended.count
            }
        }
        if !toStart.isEmpty {
            let started = try await start(current, toStart)
            current = started.campaign
            report.add(started.report)
        }
        return (current, report)
    }

    /// The ends of `recipients`' attempts that are final now.
    private func endedAttempts(_ campaign: Campaign, _ recipients: [CampaignRecipient]) async throws
        -> [AttemptOutcome]
    {
        let found = try await attempts(campaign, recipients)
        return recipients.compactMap { recipient in
            found[recipient.attemptId].flatMap { $0.status.isFinal ? Self.outcome(recipient, $0) : nil }
        }
    }

    /// The recipients' attempts that exist, read `Limits.attemptBatchMax` at a time.
    private func attempts(_ campaign: Campaign, _ recipients: [CampaignRecipient]) async throws
        -> [AttemptID: CallAttempt]
    {
        var found: [AttemptID: CallAttempt] = [:]
        for batch in stride(from: 0, to: recipients.count, by: Limits.attemptBatchMax) {
            let ids = recipients[batch..<min(batch + Limits.attemptBatchMax, recipients.count)].map(\.attemptId)
            for attempt in try await store.attempts(workspaceId: campaign.workspaceId, ids: ids) {
                found[attempt.id] = attempt
            }
        }
        return found
    }

    /// Claims pending recipients within pacing and cap and starts them, again while DNC numbers free lines.
    private func dialNew(_ campaign: Campaign, now: Date) async throws -> (campaign: Campaign, report: TickReport) {
        var current = campaign
        var report = TickReport()
        for _ in 0..<8 {
            let claim = try await store.claimRecipients(
                workspaceId: campaign.workspaceId, campaignId: campaign.id, now: now, limit: Self.claimBatchMax)
            current = claim.campaign
            if claim.campaign.status != campaign.status {
                logger.info(
                    "campaign \(claim.campaign.status.rawValue)",
                    metadata: [
                        "campaign": "\(campaign.id)", "reason": "\(claim.campaign.pauseReason?.rawValue ?? "-")",
                    ])
            }
            guard !claim.claimed.isEmpty else { break }
            let started = try await start(current, claim.claimed)
            current = started.campaign
            report.add(started.report)
            // Only DNC numbers (ended at once, no line used) make another round worth it.
            guard started.report.recorded > 0, current.status == .running else { break }
        }
        return (current, report)
    }

    /// Creates the recipients' attempts (idempotent on their fixed ids) and dials those Waiting. DNC numbers end
    /// at once and are recorded; running out of credits pauses the campaign and leaves the rest Waiting.
    private func start(_ campaign: Campaign, _ recipients: [CampaignRecipient]) async throws
        -> (campaign: Campaign, report: TickReport)
    {
        var byAttempt: [AttemptID: CampaignRecipient] = [:]
        for recipient in recipients { byAttempt[recipient.attemptId] = recipient }
        var created: [CallAttempt] = []
        for batch in stride(from: 0, to: recipients.count, by: Limits.attemptBatchMax) {
            let slice = recipients[batch..<min(batch + Limits.attemptBatchMax, recipients.count)]
            created += try await store.createAttempts(
                workspaceId: campaign.workspaceId,
                slice.map { recipient in
                    NewAttempt(
                        id: recipient.attemptId, walletId: campaign.walletId, campaignId: campaign.id,
                        recipientId: recipient.id, numberPosition: recipient.position, phoneNumber: recipient.number)
                }
            ).map(\.attempt)
        }
        var outcomes: [AttemptOutcome] = []
        var waiting: [CallAttempt] = []
        for attempt in created {
            guard let recipient = byAttempt[attempt.id] else { continue }
            if attempt.status.isFinal {
                outcomes.append(Self.outcome(recipient, attempt))
            } else if attempt.status == .waiting {
                waiting.append(attempt)
            }
        }
        let dialing = await dial(campaign, waiting)
        for attempt in dialing.ended {
            if let recipient = byAttempt[attempt.id] { outcomes.append(Self.outcome(recipient, attempt)) }
        }
        var current = campaign
        var report = TickReport()
        report.dialed = dialing.placed
        if !outcomes.isEmpty {
            current = try await store.recordOutcomes(
                workspaceId: campaign.workspaceId, campaignId: campaign.id, outcomes)
            report.recorded = outcomes.count
        }
        if dialing.outOfCredits {
            current = try await act(current, .outOfCredits)
            if current.pauseReason == .outOfCredits {
                logger.info("campaign paused: out of credits", metadata: ["campaign": "\(campaign.id)"])
                // Keyed by the pause's time: a second runner seeing the same pause emits the same event.
                try await store.emit(
                    .campaignPausedForCredits(
                        workspaceId: current.workspaceId, campaignId: current.id, walletId: current.walletId,
                        pausedAt: current.updatedAt))
            }
        }
        if let error = dialing.error { throw error }
        return (current, report)
    }

    private struct Dialing {
        var placed = 0
        /// Attempts that ended while starting (listed on the DNC list since creation, or not placed).
        var ended: [CallAttempt] = []
        var outOfCredits = false
        var error: (any Error)?
    }

    /// Starts dialing each attempt (hold a credit) and places the calls this runner started, side by side.
    private func dial(_ campaign: Campaign, _ attempts: [CallAttempt]) async -> Dialing {
        var result = Dialing()
        var index = 0
        while index < attempts.count && !result.outOfCredits {
            let wave = attempts[index..<min(index + Self.dialsInParallelMax, attempts.count)]
            index += wave.count
            await withTaskGroup(of: Dialing.self) { group in
                for attempt in wave {
                    group.addTask { await self.dialOne(campaign, attempt) }
                }
                for await one in group {
                    result.placed += one.placed
                    result.ended += one.ended
                    result.outOfCredits = result.outOfCredits || one.outOfCredits
                    result.error = result.error ?? one.error
                }
            }
        }
        return result
    }

    private func dialOne(_ campaign: Campaign, _ attempt: CallAttempt) async -> Dialing {
        var result = Dialing()
        do {
            let update = try await store.startDialing(
                DialCommand(workspaceId: campaign.workspaceId, attemptId: attempt.id, whenOutOfCredits: .refuse))
            guard update.disposition == .applied, update.attempt.status == .calling else {
                if update.attempt.status.isFinal { result.ended.append(update.attempt) }
                return result  // another runner started it, or it ended (DNC)
            }
            do {
                try await telephony.place(
                    CallRequest(
                        workspaceId: campaign.workspaceId, attemptId: attempt.id, campaignId: campaign.id,
                        phoneNumber: attempt.phoneNumber, position: attempt.numberPosition ?? 1))
                result.placed = 1
            } catch {
                logger.warning("call not placed", metadata: ["attempt": "\(attempt.id)", "error": "\(error)"])
                let failed = try await store.applyEvent(
                    AttemptEventCommand(
                        workspaceId: campaign.workspaceId, attemptId: attempt.id,
                        eventId: "runner:\(attempt.id):failed",
                        event: .failed, source: "runner"))
                result.ended.append(failed.attempt)
            }
        } catch let refusal as LedgerRefusal where refusal.code == .outOfCredits {
            result.outOfCredits = true
        } catch {
            result.error = error
        }
        return result
    }

    static func outcome(_ recipient: CampaignRecipient, _ attempt: CallAttempt) -> AttemptOutcome {
        AttemptOutcome(
            recipientIndex: recipient.index, attemptId: attempt.id, status: attempt.status,
            creditsCharged: attempt.creditsCharged, dialedAt: attempt.dialedAt)
    }
}
