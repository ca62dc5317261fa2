import CreditsCore
import CreditsStore
import Foundation

/// Runs campaigns against the simulated carrier on a `ManualClock`, with no real waiting: the runner ticks,
/// the clock moves to the next moment something happens (at most `stepSeconds` ahead, or straight to the
/// next opening of calling hours when nothing is in progress), and the carrier delivers what is due.
/// `callcredits simulate`, `bench campaign` and the runner's tests use it.
public struct CampaignSimulation: Sendable {
    public let runner: CampaignRunner
    public let telephony: SimulatedTelephony
    public let clock: ManualClock
    /// Longest step of simulated time; the runner ticks once per step.
    public var stepSeconds: Double

    public init(runner: CampaignRunner, telephony: SimulatedTelephony, clock: ManualClock, stepSeconds: Double = 5) {
        precondition(stepSeconds > 0)
        self.runner = runner
        self.telephony = telephony
        self.clock = clock
        self.stepSeconds = stepSeconds
    }

    /// What a run did.
    public struct Run: Sendable, Equatable {
        public var steps = 0
        public var dialed = 0
        /// Whether it stopped because nothing had work left (not because of `stepsMax` or `until`).
        public var idle = false
        /// Real time spent in the runner's ticks and in delivering the carrier's callbacks.
        public var tickDuration: Duration = .zero
        public var deliverDuration: Duration = .zero
    }

    /// Steps until `until` says stop, nothing has work left, or `stepsMax` steps.
    @discardableResult
    public func run(stepsMax: Int = 1_000_000, until: @Sendable () async throws -> Bool = { false }) async throws
        -> Run
    {
        var run = Run()
        while run.steps < stepsMax {
            let tickStart = ContinuousClock.now
            let report = await runner.tick()
            run.tickDuration += ContinuousClock.now - tickStart
            run.steps += 1
            run.dialed += report.dialed
            if try await until() { return run }
            let now = clock.now()
            let due = telephony.nextDue
            if due == nil && report.dialed == 0 && report.wakeAt == nil {
                if report.recorded > 0 { continue }  // recorded ends may free lines: tick again at once
                run.idle = true
                return run
            }
            // Step by `stepSeconds`, delivering everything due meanwhile; skip quiet time to the next event.
            var next = now.addingTimeInterval(stepSeconds)
            if let due, due > next { next = due }
            if let wake = report.wakeAt, wake > now {
                next = due == nil && report.dialed == 0 ? wake : min(next, wake)
            }
            clock.set(next)
            let deliverStart = ContinuousClock.now
            await telephony.deliverDue(now: next)
            run.deliverDuration += ContinuousClock.now - deliverStart
        }
        return run
    }
}
