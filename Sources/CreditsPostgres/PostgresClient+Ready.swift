import Foundation
import PostgresNIO

extension PostgresClient {
    /// Most tries of `waitUntilReady`, each given `readyProbeSeconds`.
    static let readyProbesMax = 20
    static let readyProbeSeconds = 1.0

    /// Returns once a `SELECT 1` succeeds on the pool.
    ///
    /// PostgresNIO 1.33.2 can lose a connection request made before `run()` has started (it logs "run() hasn't
    /// been called yet"), and the request then waits forever: tests hung on it. Starting `run()` in a task and
    /// querying at once races with exactly that, so the first query is a probe that is given up and sent again
    /// when it does not answer within a second.
    func waitUntilReady() async throws {
        for attempt in 1...Self.readyProbesMax {
            let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    _ = try await self.query("SELECT 1")
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(Self.readyProbeSeconds))
                    return false
                }
                defer { group.cancelAll() }
                do {
                    return try await group.next() ?? false
                } catch  where attempt < Self.readyProbesMax && !(error is CancellationError) {
                    // Not reachable yet (the server is starting, or the pool is): try again.
                    try await Task.sleep(for: .seconds(Self.readyProbeSeconds))
                    return false
                }
            }
            if answered { return }
        }
        throw PostgresStoreError(.unavailable, operation: "connect", underlying: nil)
    }
}
