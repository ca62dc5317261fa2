import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

@Suite("Hold routes")
struct HoldRouteTests {
    @Test func holdReservesOneCreditAndAnswers201() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 3)
            let response = try await client.hold(workspace, attempt: "att-1", extra: #", "timeoutSeconds": 60"#)
            #expect(response.status == .created)
            let hold = try decode(Hold.self, response)
            #expect(hold.state == .held)
            #expect(hold.attemptId == "att-1")
            #expect(hold.expiresAt.timeIntervalSince(hold.createdAt) == 60)
            let balance = try await client.balance(workspace)
            #expect(balance.available == 2)
            #expect(balance.held == 1)
        }
    }

    @Test func holdReplayForSameAttemptAndWalletIs200AndHoldsOnce() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 3)
            let first = try await client.hold(workspace, attempt: "att-1")
            let replay = try await client.hold(workspace, attempt: "att-1")
            #expect(replay.status == .ok)
            #expect(replay.headers[.idempotentReplayed] == "true")
            #expect(text(replay) == text(first))
            #expect(try await client.balance(workspace).held == 1)
        }
    }

    @Test func holdForAnAttemptThatHoldsFromAnotherWalletIs409() async throws {
        // The store protocol has no way yet to add a member wallet, so the ledger's refusal (tested in
        // the core) is scripted here; this test holds the HTTP mapping of that refusal.
        let clock = ManualClock()
        let conflict = LedgerRefusal(.idempotencyConflict, "attempt att-1 already holds a credit from another wallet")
        let store = ScriptedStore(
            inner: MemoryStore(clock: clock, ids: SequentialIDs()), failures: ["hold": conflict])
        try await Harness(store: store).run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.hold(workspace, attempt: "att-1")
            #expect(response.status == .conflict)
            let body = try errorBody(response)
            #expect(body.code == "idempotency_conflict")
            #expect(!body.retryable)
        }
    }

    @Test func holdWithoutAvailableCreditIs402() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.hold(workspace, attempt: "att-1")
            #expect(response.status == .paymentRequired)
            let body = try errorBody(response)
            #expect(body.code == "out_of_credits")
            #expect(body.retryable)
        }
    }

    @Test func getHoldReturnsTheHold() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            _ = try await client.hold(workspace, attempt: "att-1")
            let response = try await client.send(.get, "/v1/holds/att-1", token: workspace.secret)
            #expect(response.status == .ok)
            #expect(try decode(Hold.self, response).attemptId == "att-1")
        }
    }

    @Test func captureChargesTheHeldCreditAndReplayIs200() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 2)
            _ = try await client.hold(workspace, attempt: "att-1")
            let capture = try await client.send(.post, "/v1/holds/att-1/capture", token: workspace.secret)
            #expect(capture.status == .ok)
            #expect(try decode(Hold.self, capture).state == .captured)
            let replay = try await client.send(.post, "/v1/holds/att-1/capture", token: workspace.secret)
            #expect(replay.status == .ok)
            #expect(replay.headers[.idempotentReplayed] == "true")
            let balance = try await client.balance(workspace)
            #expect(balance.available == 1)
            #expect(balance.held == 0)
        }
    }

    @Test func releaseReturnsTheCreditWithItsReason() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 2)
            _ = try await client.hold(workspace, attempt: "att-1")
            let release = try await client.send(
                .post, "/v1/holds/att-1/release", token: workspace.secret, json: #"{"reason": "failed"}"#)
            #expect(release.status == .ok)
            let hold = try decode(Hold.self, release)
            #expect(hold.state == .released)
            #expect(hold.releaseReason == .failed)
            #expect(try await client.balance(workspace).available == 2)
        }
    }

    @Test func releaseWithoutBodyIsAPlainRelease() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            _ = try await client.hold(workspace, attempt: "att-1")
            let release = try await client.send(.post, "/v1/holds/att-1/release", token: workspace.secret)
            #expect(release.status == .ok)
            #expect(try decode(Hold.self, release).releaseReason == .released)
        }
    }

    @Test func releaseWithTimeoutReasonIs422() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            _ = try await client.hold(workspace, attempt: "att-1")
            let release = try await client.send(
                .post, "/v1/holds/att-1/release", token: workspace.secret, json: #"{"reason": "timeout"}"#)
            #expect(release.status == .unprocessableContent)
        }
    }

    @Test func captureAfterReleaseIs409() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            _ = try await client.hold(workspace, attempt: "att-1")
            _ = try await client.send(.post, "/v1/holds/att-1/release", token: workspace.secret)
            let capture = try await client.send(.post, "/v1/holds/att-1/capture", token: workspace.secret)
            #expect(capture.status == .conflict)
            #expect(try errorBody(capture).code == "hold_already_released")
        }
    }

    @Test func releaseAfterCaptureIs409() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            _ = try await client.hold(workspace, attempt: "att-1")
            _ = try await client.send(.post, "/v1/holds/att-1/capture", token: workspace.secret)
            let release = try await client.send(.post, "/v1/holds/att-1/release", token: workspace.secret)
            #expect(release.status == .conflict)
            #expect(try errorBody(release).code == "hold_already_captured")
        }
    }

    @Test func eventsForAnUnknownAttemptAre404() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            for uri in ["/v1/holds/nope/capture", "/v1/holds/nope/release"] {
                let response = try await client.send(.post, uri, token: workspace.secret)
                #expect(response.status == .notFound)
                #expect(try errorBody(response).code == "unknown_attempt")
            }
            let read = try await client.send(.get, "/v1/holds/nope", token: workspace.secret)
            #expect(read.status == .notFound)
        }
    }

    @Test func holdTimeoutOutsideItsLimitsIs422() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            let response = try await client.hold(workspace, attempt: "att-1", extra: #", "timeoutSeconds": 1"#)
            #expect(response.status == .unprocessableContent)
            #expect(try errorBody(response).code == "invalid_request")
        }
    }

    @Test func concurrentHoldsNeverSpendMoreThanTheWalletHas() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 100)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<500 {
                    group.addTask { try await client.hold(workspace, attempt: "att-\(index)").status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 100)
            #expect(statuses.filter { $0 == .paymentRequired }.count == 400)
            let balance = try await client.balance(workspace)
            #expect(balance.available == 0)
            #expect(balance.held == 100)
        }
    }
}
