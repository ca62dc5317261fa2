import CreditsCore
import CreditsStore
import Foundation
import Testing

/// Member wallets under the campaign runner: each member's campaigns spend only their own wallet.
@Suite("Team campaigns")
struct TeamRunnerTests {
    @Test(
        "two members, one with an empty wallet: only the funded member's campaign dials, from their wallet alone",
        arguments: Backend.all)
    func memberSpendsOnlyOwnWallet(backend: Backend) async throws {
        let run = try await RunnerFixture.make(backend, carrier: scripted([:]))
        let fixture = run.fixture
        try await fixture.grant(50)
        let empty = try await fixture.member("empty@example.com")
        let funded = try await fixture.member("funded@example.com")
        try await fixture.team(.transfer(funded.id, 3))
        var pacing = alwaysOpen
        pacing.lines = 1
        let starved = try await run.launch(numbers(2).map { [$0] }, pacing: pacing, walletId: empty.wallet)
        let dialing = try await run.launch(numbers(2, from: 10).map { [$0] }, pacing: pacing, walletId: funded.wallet)
        #expect(try await run.simulation.run().idle)

        let starvedAttempts = try await run.attempts(starved)
        #expect(starvedAttempts.allSatisfy { $0.status == .waiting }, "nothing was dialed on the empty wallet")
        #expect(run.counting.placed.withLock { placed in starvedAttempts.allSatisfy { placed[$0.id] == nil } })
        #expect(try await run.reload(starved).pauseReason == .outOfCredits)
        let dialed = try await run.attempts(dialing)
        #expect(dialed.map(\.status) == [.answered, .answered])
        #expect(try await run.reload(dialing).status == .completed)
        #expect(try await fixture.balance(funded.wallet).available == 1, "two of the member's three credits spent")
        #expect(try await fixture.balance(empty.wallet).available == 0)
        #expect(try await fixture.balance().available == 47, "the pool paid for nothing")
        try await fixture.expectClean()
    }
}
