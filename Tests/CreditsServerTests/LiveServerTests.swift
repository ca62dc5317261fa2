import CreditsCore
import CreditsStore
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import CreditsServer

@Suite("Live server")
struct LiveServerTests {
    @Test func servesOverARealSocketAndShutsDownGracefully() async throws {
        let clock = ManualClock()
        let store = MemoryStore(clock: clock, ids: SequentialIDs())
        // Port 0: the system picks a free port; a short sweep interval keeps the sweeper running meanwhile.
        let configuration = ServerConfiguration(port: 0, adminToken: adminToken, holdSweepIntervalSeconds: 0.05)
        let app = buildApplication(configuration: configuration, store: store, clock: clock, logger: quietLogger)
        try await app.test(.live) { client in
            let health = try await client.send(.get, "/health")
            #expect(health.status == .ok)
            let workspace = try await client.createWorkspace()
            #expect(try await client.grant(workspace, amount: 2).status == .created)
            #expect(try await client.hold(workspace, attempt: "att-1").status == .created)
            #expect(try await client.balance(workspace).held == 1)
        }
    }
}
