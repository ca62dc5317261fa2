import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

@Suite("Operator routes")
struct OperatorRouteTests {
    @Test func createWorkspaceReturnsWorkspacePoolAndKeySecretOnce() async throws {
        try await Harness().run { client in
            let response = try await client.send(
                .post, "/v1/workspaces", token: adminToken, json: #"{"name": "Acme", "timeZone": "Europe/Berlin"}"#)
            #expect(response.status == .created)
            let view = try decode(CreatedWorkspaceView.self, response)
            #expect(view.workspace.name == "Acme")
            #expect(view.workspace.timeZone == "Europe/Berlin")
            #expect(view.poolWalletId.hasPrefix("wal_"))
            let secret = try #require(view.apiKey.secret)
            #expect(secret.hasPrefix("cc_"))
            #expect(secret.hasPrefix(view.apiKey.prefix))
            let list = try await client.send(.get, "/v1/api-keys", token: secret)
            #expect(!text(list).contains(secret))
        }
    }

    @Test func getWorkspaceReturnsWorkspaceAndWallets() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(.get, "/v1/workspaces/\(workspace.id)", token: adminToken)
            #expect(response.status == .ok)
            let view = try decode(WorkspaceView.self, response)
            #expect(view.workspace.id == workspace.id)
            #expect(view.wallets.map(\.id) == [workspace.poolWalletId])
            #expect(view.wallets.first?.kind == .pool)
        }
    }

    @Test func unknownWorkspaceIs404() async throws {
        try await Harness().run { client in
            let response = try await client.send(.get, "/v1/workspaces/ws_nope", token: adminToken)
            #expect(response.status == .notFound)
            #expect(try errorBody(response).code == "workspace_not_found")
        }
    }

    @Test func grantAddsALotToThePoolAndAnswers201() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.grant(workspace, amount: 250, extra: #", "source": "purchase""#)
            #expect(response.status == .created)
            #expect(response.headers[.idempotentReplayed] == nil)
            let view = try decode(CreditView.self, response)
            #expect(view.lot?.amount == 250)
            #expect(view.lot?.source == .purchase)
            #expect(view.lot?.walletId == workspace.poolWalletId)
            #expect(view.entries.map(\.kind) == [.grant])
            #expect(try await client.balance(workspace).available == 250)
        }
    }

    @Test func grantWithExpiryTakesRFC3339DatesAndEchoesThemWithMilliseconds() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.grant(
                workspace, amount: 10, extra: #", "source": "plan_allotment", "expiresAt": "2026-02-01T00:00:00Z""#)
            #expect(response.status == .created)
            #expect(text(response).contains(#""expiresAt":"2026-02-01T00:00:00.000Z""#))
        }
    }

    @Test func negativeAdjustmentDebitsTheWallet() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 10)
            let response = try await client.grant(workspace, amount: -4)
            #expect(response.status == .created)
            #expect(try decode(CreditView.self, response).lot == nil)
            #expect(try await client.balance(workspace).available == 6)
        }
    }

    @Test func debitBeyondAvailableIs402() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 3)
            let response = try await client.grant(workspace, amount: -4)
            #expect(response.status == .paymentRequired)
            #expect(try errorBody(response).code == "out_of_credits")
        }
    }

    @Test func grantReplayReturnsTheSameBodyAndChangesNothing() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let first = try await client.grant(workspace, amount: 100, key: "grant-1")
            let entriesBefore = try await client.send(.get, "/v1/entries", token: workspace.secret)
            let replay = try await client.grant(workspace, amount: 100, key: "grant-1")
            #expect(first.status == .created)
            #expect(replay.status == .ok)
            #expect(replay.headers[.idempotentReplayed] == "true")
            #expect(text(replay) == text(first))
            let entriesAfter = try await client.send(.get, "/v1/entries", token: workspace.secret)
            #expect(text(entriesAfter) == text(entriesBefore))
            #expect(try await client.balance(workspace).available == 100)
        }
    }

    @Test func grantKeyReusedWithOtherContentIs409() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 100, key: "grant-1")
            let response = try await client.grant(workspace, amount: 101, key: "grant-1")
            #expect(response.status == .conflict)
            #expect(try errorBody(response).code == "idempotency_conflict")
            #expect(try await client.balance(workspace).available == 100)
        }
    }

    @Test func grantWithoutIdempotencyKeyIs422() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(
                .post, "/v1/workspaces/\(workspace.id)/credits", token: adminToken,
                json: #"{"amount": 5, "reason": "no key"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try errorBody(response).code == "invalid_request")
        }
    }

    @Test func grantWithTransferSourceIs422() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.grant(workspace, amount: 5, extra: #", "source": "transfer""#)
            #expect(response.status == .unprocessableContent)
        }
    }

    @Test func grantToAnotherWorkspacesWalletIs404() async throws {
        try await Harness().run { client in
            let first = try await client.createWorkspace(name: "A")
            let second = try await client.createWorkspace(name: "B")
            let response = try await client.grant(first, amount: 5, extra: #", "walletId": "\#(second.poolWalletId)""#)
            #expect(response.status == .notFound)
            #expect(try errorBody(response).code == "wallet_not_found")
        }
    }

    @Test func createWorkspaceWithUnknownTimeZoneIs422() async throws {
        try await Harness().run { client in
            let response = try await client.send(
                .post, "/v1/workspaces", token: adminToken, json: #"{"name": "Acme", "timeZone": "Mars/Olympus"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try errorBody(response).code == "invalid_request")
        }
    }
}
