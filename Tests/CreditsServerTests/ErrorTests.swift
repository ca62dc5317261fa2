import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

@Suite("Error responses")
struct ErrorTests {
    @Test func bodyOverTheLimitIs413() async throws {
        try await Harness(requestBodyBytesMax: 1024).run { client in
            let workspace = try await client.createWorkspace()
            let padding = String(repeating: "x", count: 2048)
            let response = try await client.hold(workspace, attempt: "att-1", extra: #", "padding": "\#(padding)""#)
            #expect(response.status == .contentTooLarge)
            #expect(try errorBody(response).code == "payload_too_large")
        }
    }

    @Test func malformedJSONIs400() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(.post, "/v1/holds", token: workspace.secret, json: #"{"attemptId": "#)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).code == "bad_request")
        }
    }

    @Test func wrongFieldTypeIs400AndNamesTheField() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.grant(workspace, amount: 0, extra: #", "expiresAt": 12"#)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).message.contains("expiresAt"))
        }
    }

    @Test func fractionalCreditsAre400() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(
                .post, "/v1/workspaces/\(workspace.id)/credits", token: adminToken,
                json: #"{"amount": 1.5, "reason": "half"}"#, headers: [.idempotencyKey: "k1"])
            #expect(response.status == .badRequest)
        }
    }

    @Test func zeroAmountIs422() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.grant(workspace, amount: 0)
            #expect(response.status == .unprocessableContent)
            #expect(try errorBody(response).code == "invalid_request")
        }
    }

    @Test func attemptIdWithForbiddenCharactersIs422() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            let response = try await client.hold(workspace, attempt: "att 1/2")
            #expect(response.status == .unprocessableContent)
        }
    }

    @Test func unknownRouteIsJSON404() async throws {
        try await Harness().run { client in
            let response = try await client.send(.get, "/v1/nothing-here")
            #expect(response.status == .notFound)
            #expect(try errorBody(response).code == "not_found")
        }
    }

    @Test func unexpectedFailureIs500AndLeaksNothing() async throws {
        let clock = ManualClock()
        let store = ScriptedStore(
            inner: MemoryStore(clock: clock, ids: SequentialIDs()), failures: ["balance": SecretInfrastructureError()])
        try await Harness(store: store).run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(.get, "/v1/balance", token: workspace.secret)
            #expect(response.status == .internalServerError)
            let body = try errorBody(response)
            #expect(body.code == "internal_error")
            #expect(body.message == "the server failed to process the request")
            for secret in ["postgres", "hunter2", "db.internal", "SecretInfrastructureError"] {
                #expect(!text(response).contains(secret))
            }
        }
    }
}
