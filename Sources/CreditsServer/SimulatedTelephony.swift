import CreditsCore
import CreditsStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The simulated carrier as a `Telephony`: each placed call's callbacks (`SimulatedCarrier.script`) are queued
/// at their times on the injected clock and delivered through `ProviderCallbacks`, the path a real provider's
/// callbacks take. `deliverDue(now:)` delivers what is due; as a service it does so every `pollSeconds` of
/// real time, and a simulation with a `ManualClock` calls it after moving the clock (no real waiting).
public final class SimulatedTelephony: Telephony, Service {
    private struct Pending {
        var due: Date
        var sequence: Int
        var workspaceId: WorkspaceID
        var attemptId: AttemptID
        var callback: TwilioStatusCallback
    }

    private struct State {
        /// Callbacks not yet delivered, in (due, sequence) order.
        var queue: [Pending] = []
        var sequence = 0
        /// Calls placed and not ended, with whether they connected.
        var calls: [AttemptID: Bool] = [:]
    }

    public let carrier: SimulatedCarrier
    private let clock: any CreditsClock
    private let callbacks: ProviderCallbacks
    private let pollSeconds: Double
    private let logger: Logger
    private let state = Mutex(State())

    public init(
        carrier: SimulatedCarrier, clock: any CreditsClock, callbacks: ProviderCallbacks, pollSeconds: Double = 0.2,
        logger: Logger
    ) {
        self.carrier = carrier
        self.clock = clock
        self.callbacks = callbacks
        self.pollSeconds = pollSeconds
        self.logger = logger
    }

    public func place(_ call: CallRequest) async throws {
        let now = clock.now()
        let script = carrier.script(number: call.phoneNumber, position: call.position)
        state.withLock { state in
            state.calls[call.attemptId] = false
            for step in script {
                state.sequence += 1
                insert(
                    Pending(
                        due: now.addingTimeInterval(Double(step.atSeconds)), sequence: state.sequence,
                        workspaceId: call.workspaceId, attemptId: call.attemptId, callback: step.callback),
                    into: &state.queue)
            }
        }
    }

    public func hangUp(workspaceId: WorkspaceID, attemptId: AttemptID) async {
        let cancelled = state.withLock { state -> Bool in
            guard state.calls[attemptId] == false else { return false }
            state.calls[attemptId] = nil
            state.queue.removeAll { $0.attemptId == attemptId }
            return true
        }
        guard cancelled else { return }
        await deliver([(workspaceId, attemptId, SimulatedCarrier.cancelledCallback)])
    }

    /// When the next callback is due; nil when no call is in progress.
    public var nextDue: Date? { state.withLock { $0.queue.first?.due } }

    /// Calls placed and not ended.
    public var callsInProgress: Int { state.withLock { $0.calls.count } }

    /// Delivers every callback due at `now`: calls side by side, each call's callbacks in order.
    /// Returns how many it delivered.
    @discardableResult
    public func deliverDue(now: Date) async -> Int {
        let due = state.withLock { state -> [Pending] in
            let count = state.queue.firstIndex { $0.due > now } ?? state.queue.count
            let due = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            for item in due {
                switch item.callback.callStatus {
                case .inProgress: state.calls[item.attemptId] = true
                case .completed, .busy, .noAnswer, .failed, .canceled: state.calls[item.attemptId] = nil
                case .queued, .initiated, .ringing: break
                }
            }
            return due
        }
        var byCall: [AttemptID: [Pending]] = [:]
        var order: [AttemptID] = []
        for item in due {
            if byCall[item.attemptId] == nil { order.append(item.attemptId) }
            byCall[item.attemptId, default: []].append(item)
        }
        await withTaskGroup(of: Void.self) { group in
            for attemptId in order {
                let steps = byCall[attemptId] ?? []
                group.addTask { await self.deliver(steps.map { ($0.workspaceId, $0.attemptId, $0.callback) }) }
            }
        }
        return due.count
    }

    /// Delivers every `pollSeconds` until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .seconds(self.pollSeconds))
                } catch {
                    return
                }
                await self.deliverDue(now: self.clock.now())
            }
        }
    }

    /// Delivers callbacks of one call in order. A refused callback is logged and dropped: the attempt rules
    /// refuse only what cannot happen, and a real provider would not send it again either.
    private func deliver(_ steps: [(WorkspaceID, AttemptID, TwilioStatusCallback)]) async {
        for (workspaceId, attemptId, callback) in steps {
            do {
                try await callbacks.deliver(workspaceId: workspaceId, attemptId: attemptId, callback)
            } catch {
                logger.warning(
                    "simulated callback not applied",
                    metadata: [
                        "attempt": "\(attemptId)", "status": "\(callback.callStatus.rawValue)",
                        "error": "\(String(describing: error))",
                    ])
            }
        }
    }

    private func insert(_ item: Pending, into queue: inout [Pending]) {
        var low = 0
        var high = queue.count
        while low < high {
            let middle = (low + high) / 2
            let other = queue[middle]
            if (other.due, other.sequence) < (item.due, item.sequence) { low = middle + 1 } else { high = middle }
        }
        queue.insert(item, at: low)
    }
}
