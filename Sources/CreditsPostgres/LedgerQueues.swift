import CreditsCore
import Synchronization

/// One queued hold, capture or release and the caller waiting for it.
struct LedgerJob: Sendable {
    let operation: LedgerOperation
    let continuation: CheckedContinuation<HoldResult, any Error>
}

/// The waiting holds, captures and releases, one queue per workspace. A queue that exists has a drain running
/// for it; the drain removes it when it finds it empty, so the next caller starts a new drain.
final class LedgerQueues: Sendable {
    /// Most operations in one transaction: bounds how long one batch keeps its rows locked and what one
    /// failure makes retry.
    static let batchMax = 128

    private struct State {
        var queues: [WorkspaceID: [LedgerJob]] = [:]
        var batches = 0
        var operations = 0
    }

    private let state = Mutex(State())

    /// Batches taken and operations in them since the store was made (for `bench`).
    var taken: (batches: Int, operations: Int) {
        state.withLock { ($0.batches, $0.operations) }
    }

    /// Queues `job`; true when no drain runs for the workspace and the caller must start one.
    func enqueue(_ job: LedgerJob, workspaceId: WorkspaceID) -> Bool {
        state.withLock { state in
            if state.queues[workspaceId] != nil {
                state.queues[workspaceId]!.append(job)
                return false
            }
            state.queues[workspaceId] = [job]
            return true
        }
    }

    /// The next batch of the workspace, oldest first, or nil when its queue is empty (the drain then ends).
    func next(_ workspaceId: WorkspaceID) -> [LedgerJob]? {
        state.withLock { state in
            guard let queued = state.queues[workspaceId], !queued.isEmpty else {
                state.queues[workspaceId] = nil
                return nil
            }
            let count = min(queued.count, Self.batchMax)
            state.queues[workspaceId] = Array(queued.dropFirst(count))
            state.batches += 1
            state.operations += count
            return Array(queued.prefix(count))
        }
    }
}
