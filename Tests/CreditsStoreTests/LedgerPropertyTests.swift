import CreditsCore
import CreditsStore
import Foundation
import PropertyBased
import Testing

/// Random sequences of grants, holds, captures, releases, debits, expiries and clock jumps, run on the
/// reference store and on SQLite side by side. After every step: the invariants hold on both, and
/// both gave the same answer (so SQLite behaves exactly as the reference does).
@Suite("Ledger properties")
struct LedgerPropertyTests {
    /// One step, decoded from a random number so the library can shrink a failing sequence.
    enum Step: CustomStringConvertible {
        case grant(amount: Int64, expiresInSeconds: Double?)
        case hold(attempt: Int)
        case capture(attempt: Int)
        case release(attempt: Int)
        case debit(amount: Int64)
        case jump(seconds: Double)

        init(_ value: Int) {
            let parameter = value / 8
            switch value % 8 {
            case 0:
                self = .grant(
                    amount: Int64(1 + parameter % 4),
                    expiresInSeconds: parameter % 3 == 0 ? nil : Double(60 * (1 + parameter % 5)))
            case 1, 2: self = .hold(attempt: parameter % 12)
            case 3: self = .capture(attempt: parameter % 12)
            case 4: self = .release(attempt: parameter % 12)
            case 5: self = .debit(amount: Int64(1 + parameter % 3))
            default: self = .jump(seconds: Double(20 * (parameter % 10)))
            }
        }

        var description: String {
            switch self {
            case .grant(let amount, let expires): "grant \(amount) expiring \(expires.map { "in \($0)s" } ?? "never")"
            case .hold(let attempt): "hold a\(attempt)"
            case .capture(let attempt): "capture a\(attempt)"
            case .release(let attempt): "release a\(attempt)"
            case .debit(let amount): "debit \(amount)"
            case .jump(let seconds): "jump \(seconds)s, sweep"
            }
        }
    }

    /// What a step answered, comparable across stores.
    enum Outcome: Equatable {
        case credit(CreditResult)
        case hold(HoldResult)
        case swept(expired: Int, released: [Hold])
        case refused(RefusalCode)
    }

    @Test("invariants hold after every step, and SQLite answers exactly as the reference store")
    func randomSequences() async throws {
        await propertyCheck(count: 40, input: Gen.int(in: 0...799).array(of: 1...40)) { values in
            let steps = values.map(Step.init)
            do {
                try await run(steps)
            } catch {
                Issue.record("steps \(steps) threw \(error)")
            }
        }
    }

    private func run(_ steps: [Step]) async throws {
        let clock = ManualClock()
        let fixtures = [
            try await Fixture.make(.memory, clock: clock),
            try await Fixture.make(.sqlite, clock: clock),
        ]
        for (index, step) in steps.enumerated() {
            var outcomes: [Outcome] = []
            if case .jump(let seconds) = step { clock.advance(seconds: seconds) }
            for fixture in fixtures {
                outcomes.append(await perform(step, index: index, on: fixture))
            }
            #expect(outcomes[0] == outcomes[1], "step \(index) \(step) differs: \(outcomes)")
            var balances: [Balance] = []
            for fixture in fixtures {
                let balance = try await fixture.balance()
                #expect(balance.available >= .zero && balance.held >= .zero)
                let problems = try await fixture.store.verify()
                #expect(problems.isEmpty, "after step \(index) \(step): \(problems)")
                balances.append(balance)
            }
            #expect(balances[0] == balances[1], "balances differ after step \(index) \(step)")
        }
    }

    private func perform(_ step: Step, index: Int, on fixture: Fixture) async -> Outcome {
        let store = fixture.store
        let workspace = fixture.workspace
        do {
            switch step {
            case .grant(let amount, let expires):
                return .credit(try await fixture.grant(amount, expiresInSeconds: expires, key: "g\(index)"))
            case .debit(let amount):
                return .credit(try await fixture.grant(-amount, key: "d\(index)"))
            case .hold(let attempt):
                return .hold(try await fixture.hold("a\(attempt)", timeoutSeconds: 90))
            case .capture(let attempt):
                return .hold(try await store.capture(workspaceId: workspace, attemptId: "a\(attempt)"))
            case .release(let attempt):
                return .hold(try await store.release(workspaceId: workspace, attemptId: "a\(attempt)", reason: .failed))
            case .jump:
                let released = try await store.releaseTimedOutHolds(limit: 100)
                let expired = try await store.expireLots(limit: 100)
                return .swept(expired: expired, released: released)
            }
        } catch let refusal as LedgerRefusal {
            return .refused(refusal.code)
        } catch {
            Issue.record("step \(step) failed: \(error)")
            return .refused(.invalidRequest)
        }
    }
}
