import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

@Suite("Balance and entries")
struct LedgerRouteTests {
    @Test func balanceDefaultsToThePool() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 7)
            let pool = try await client.send(.get, "/v1/balance", token: workspace.secret)
            let named = try await client.send(
                .get, "/v1/balance?walletId=\(workspace.poolWalletId)", token: workspace.secret)
            #expect(pool.status == .ok)
            #expect(text(pool) == text(named))
            let balance = try decode(Balance.self, pool)
            #expect(balance.walletId == workspace.poolWalletId)
            #expect(balance.available == 7)
            #expect(balance.lots.count == 1)
        }
    }

    @Test func balanceDatesAreRFC3339WithMilliseconds() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(.get, "/v1/balance", token: workspace.secret)
            #expect(text(response).contains(#""asOf":"2026-01-01T00:00:00.000Z""#))
        }
    }

    @Test func entriesListNewestFirstWithACursor() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            for _ in 0..<3 { try await client.grant(workspace, amount: 1) }
            let first = try await client.send(.get, "/v1/entries?limit=2", token: workspace.secret)
            #expect(first.status == .ok)
            let page = try decode(EntryPage.self, first)
            #expect(page.entries.count == 2)
            #expect(page.entries[0].id > page.entries[1].id)
            let cursor = try #require(page.nextCursor)
            let second = try decode(
                EntryPage.self,
                try await client.send(.get, "/v1/entries?limit=2&cursor=\(cursor)", token: workspace.secret))
            #expect(second.entries.count == 1)
            #expect(second.nextCursor == nil)
            #expect(second.entries[0].id < page.entries[1].id)
        }
    }

    @Test func entriesFilterByAttempt() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 2)
            _ = try await client.hold(workspace, attempt: "att-1")
            _ = try await client.hold(workspace, attempt: "att-2")
            _ = try await client.send(.post, "/v1/holds/att-1/capture", token: workspace.secret)
            let page = try decode(
                EntryPage.self, try await client.send(.get, "/v1/entries?attemptId=att-1", token: workspace.secret))
            #expect(page.entries.map(\.kind) == [.capture, .hold])
            #expect(page.entries.allSatisfy { $0.attemptId == "att-1" })
        }
    }

    @Test func pageLimitOverTheMaximumIs422() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(
                .get, "/v1/entries?limit=\(Limits.pageSizeMax + 1)", token: workspace.secret)
            #expect(response.status == .unprocessableContent)
            #expect(try errorBody(response).code == "invalid_request")
        }
    }

    @Test func pageLimitThatIsNotANumberIs400() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(.get, "/v1/entries?limit=ten", token: workspace.secret)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).code == "bad_request")
        }
    }
}

@Suite("API key routes")
struct APIKeyRouteTests {
    @Test func createdKeyShowsItsSecretOnceAndWorks() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(
                .post, "/v1/api-keys", token: workspace.secret, json: #"{"name": "dialer"}"#)
            #expect(response.status == .created)
            let key = try decode(APIKeyView.self, response)
            let secret = try #require(key.secret)
            #expect(key.name == "dialer")
            #expect(try await client.send(.get, "/v1/balance", token: secret).status == .ok)
            let list = try await client.send(.get, "/v1/api-keys", token: secret)
            #expect(list.status == .ok)
            let keys = try decode(APIKeyList.self, list).apiKeys
            #expect(keys.map(\.id).sorted() == [workspace.keyId, key.id].sorted())
            #expect(keys.allSatisfy { $0.secret == nil })
            #expect(!text(list).contains("hash"))
        }
    }

    @Test func revokeMarksTheKeyRevoked() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let created = try decode(
                APIKeyView.self,
                try await client.send(.post, "/v1/api-keys", token: workspace.secret, json: #"{"name": "old"}"#))
            let response = try await client.send(.delete, "/v1/api-keys/\(created.id)", token: workspace.secret)
            #expect(response.status == .ok)
            #expect(try decode(APIKeyView.self, response).revokedAt != nil)
            #expect(try await client.send(.get, "/v1/balance", token: created.secret).status == .unauthorized)
            #expect(try await client.send(.get, "/v1/balance", token: workspace.secret).status == .ok)
        }
    }

    @Test func keyWithEmptyNameIs422() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(.post, "/v1/api-keys", token: workspace.secret, json: #"{"name": ""}"#)
            #expect(response.status == .unprocessableContent)
        }
    }

    @Test func revokingAnUnknownKeyIs404() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(.delete, "/v1/api-keys/key_nope", token: workspace.secret)
            #expect(response.status == .notFound)
            #expect(try errorBody(response).code == "api_key_not_found")
        }
    }
}

@Suite("Entries isolation")
struct EntriesIsolationTests {
    @Test func entriesOfAnotherWorkspacesWalletAre404() async throws {
        try await Harness().run { client in
            let first = try await client.createWorkspace(name: "A")
            let second = try await client.createWorkspace(name: "B")
            try await client.grant(first, amount: 5)
            let response = try await client.send(
                .get, "/v1/entries?walletId=\(first.poolWalletId)", token: second.secret)
            #expect(response.status == .notFound)
            #expect(try errorBody(response).code == "wallet_not_found")
        }
    }
}
