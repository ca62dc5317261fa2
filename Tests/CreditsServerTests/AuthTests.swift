import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

@Suite("Authentication and workspace isolation")
struct AuthTests {
    @Test func workspaceRouteWithoutKeyIs401() async throws {
        try await Harness().run { client in
            let response = try await client.send(.get, "/v1/balance")
            #expect(response.status == .unauthorized)
            #expect(try errorBody(response).code == "unauthorized")
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test func workspaceRouteWithUnknownKeyIs401() async throws {
        try await Harness().run { client in
            _ = try await client.createWorkspace()
            let response = try await client.send(.get, "/v1/balance", token: "cc_" + String(repeating: "a", count: 40))
            #expect(response.status == .unauthorized)
            #expect(try errorBody(response).code == "unauthorized")
        }
    }

    @Test func revokedKeyIs401() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let revoke = try await client.send(.delete, "/v1/api-keys/\(workspace.keyId)", token: workspace.secret)
            #expect(revoke.status == .ok)
            let response = try await client.send(.get, "/v1/balance", token: workspace.secret)
            #expect(response.status == .unauthorized)
        }
    }

    @Test func adminTokenIsNotAWorkspaceKey() async throws {
        try await Harness().run { client in
            let response = try await client.send(.get, "/v1/balance", token: adminToken)
            #expect(response.status == .unauthorized)
        }
    }

    @Test func otherWorkspacesHoldIs404() async throws {
        try await Harness().run { client in
            let first = try await client.createWorkspace(name: "A")
            let second = try await client.createWorkspace(name: "B")
            try await client.grant(first, amount: 5)
            #expect(try await client.hold(first, attempt: "a-1").status == .created)
            let read = try await client.send(.get, "/v1/holds/a-1", token: second.secret)
            #expect(read.status == .notFound)
            #expect(try errorBody(read).code == "unknown_attempt")
            let capture = try await client.send(.post, "/v1/holds/a-1/capture", token: second.secret)
            #expect(capture.status == .notFound)
            #expect(try await client.balance(first).held == 1)
        }
    }

    @Test func otherWorkspacesWalletIs404() async throws {
        try await Harness().run { client in
            let first = try await client.createWorkspace(name: "A")
            let second = try await client.createWorkspace(name: "B")
            try await client.grant(first, amount: 5)
            let balance = try await client.send(
                .get, "/v1/balance?walletId=\(first.poolWalletId)", token: second.secret)
            #expect(balance.status == .notFound)
            #expect(try errorBody(balance).code == "wallet_not_found")
            let hold = try await client.hold(second, attempt: "b-1", extra: #", "walletId": "\#(first.poolWalletId)""#)
            #expect(hold.status == .notFound)
            #expect(try await client.balance(first).available == 5)
        }
    }

    @Test func otherWorkspacesKeyCannotBeRevoked() async throws {
        try await Harness().run { client in
            let first = try await client.createWorkspace(name: "A")
            let second = try await client.createWorkspace(name: "B")
            let response = try await client.send(.delete, "/v1/api-keys/\(first.keyId)", token: second.secret)
            #expect(response.status == .notFound)
            #expect(try errorBody(response).code == "api_key_not_found")
            #expect(try await client.send(.get, "/v1/balance", token: first.secret).status == .ok)
        }
    }

    @Test func adminRouteWithoutTokenIs401() async throws {
        try await Harness().run { client in
            let response = try await client.send(.post, "/v1/workspaces", json: #"{"name": "A", "timeZone": "UTC"}"#)
            #expect(response.status == .unauthorized)
            #expect(try errorBody(response).code == "unauthorized")
        }
    }

    @Test func adminRouteWithWrongTokenIs401() async throws {
        try await Harness().run { client in
            let response = try await client.send(
                .post, "/v1/workspaces", token: "not-the-admin-token", json: #"{"name": "A", "timeZone": "UTC"}"#)
            #expect(response.status == .unauthorized)
        }
    }

    @Test func workspaceKeyIsNotAnAdminToken() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.grant(
                TestWorkspace(id: workspace.id, poolWalletId: "", secret: "", keyId: ""), amount: 1)
            #expect(response.status == .created)  // sanity: the admin token works
            let customer = try await client.send(
                .post, "/v1/workspaces/\(workspace.id)/credits", token: workspace.secret,
                json: #"{"amount": 1000, "reason": "free money"}"#, headers: [.idempotencyKey: "k"])
            #expect(customer.status == .unauthorized)
            #expect(try await client.balance(workspace).available == 1)
        }
    }

    @Test func adminRoutesAreDisabledWithoutConfiguredToken() async throws {
        try await Harness(adminToken: nil).run { client in
            let response = try await client.send(
                .post, "/v1/workspaces", token: "anything", json: #"{"name": "A", "timeZone": "UTC"}"#)
            #expect(response.status == .forbidden)
            #expect(try errorBody(response).code == "admin_disabled")
            let read = try await client.send(.get, "/v1/workspaces/ws_1", token: "")
            #expect(read.status == .forbidden)
        }
    }
}
