import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

/// The team routes end to end: invitations by HTTP, what a member sees, the audit log of billing changes.
@Suite("Team routes")
struct TeamRouteTests {
    /// Invites `email` as the owner and accepts the invitation: the member's view and key secret.
    static func join(_ client: any TestClientProtocol, _ owner: TestWorkspace, _ email: String) async throws
        -> JoinedView
    {
        let invited = try await client.send(
            .post, "/v1/team/invitations", token: owner.secret, json: #"{"email": "\#(email)"}"#)
        #expect(invited.status == .created)
        let token = try #require(try decode(InvitationView.self, invited).token)
        let accepted = try await client.send(.post, "/v1/invitations/accept", json: #"{"token": "\#(token)"}"#)
        #expect(accepted.status == .created)
        return try decode(JoinedView.self, accepted)
    }

    @Test("an invitation by HTTP makes a member whose key sees only their own wallet, campaigns and keys")
    func memberSeesOnlyTheirOwn() async throws {
        try await Harness().run { client in
            let owner = try await client.createWorkspace()
            try await client.grant(owner, amount: 20)
            let joined = try await Self.join(client, owner, "ana@example.com")
            let member = try #require(joined.apiKey.secret)
            #expect(joined.person.role == .member && joined.apiKey.role == .member)
            let walletId = try #require(joined.person.walletId)
            let pool = try await client.send(
                .post, "/v1/campaigns", token: owner.secret, json: #"{"name": "Owner's"}"#)
            #expect(pool.status == .created)
            let own = try await client.send(.post, "/v1/campaigns", token: member, json: #"{"name": "Ana's"}"#)
            #expect(try decode(CampaignView.self, own).walletId == walletId, "a member's campaign uses their wallet")
            let listed = try decode(CampaignListView.self, try await client.send(.get, "/v1/campaigns", token: member))
            #expect(listed.campaigns.map(\.name) == ["Ana's"])
            let all = try decode(
                CampaignListView.self, try await client.send(.get, "/v1/campaigns", token: owner.secret))
            #expect(Set(all.campaigns.map(\.name)) == ["Owner's", "Ana's"])
            let balance = try decode(Balance.self, try await client.send(.get, "/v1/balance", token: member))
            #expect(balance.walletId == walletId && balance.available == 0)
            let poolBalance = try await client.send(
                .get, "/v1/balance?walletId=\(owner.poolWalletId)", token: member)
            #expect(poolBalance.status == .notFound)
            let keys = try decode(APIKeyList.self, try await client.send(.get, "/v1/api-keys", token: member))
            #expect(keys.apiKeys.map(\.personId) == [joined.person.id])
            let revokeOwners = try await client.send(.delete, "/v1/api-keys/\(owner.keyId)", token: member)
            #expect(revokeOwners.status == .notFound)
            let billing = try await client.send(.get, "/v1/billing", token: member)
            #expect(billing.status == .forbidden)
            #expect(try errorBody(billing).code == "owner_only")
        }
    }

    @Test("transfers over the pool are 409 over_allocation; a removed member's key stops working")
    func transferAndRemoval() async throws {
        let harness = Harness()
        try await harness.run { client in
            let owner = try await client.createWorkspace()
            try await client.grant(owner, amount: 5)
            let joined = try await Self.join(client, owner, "ana@example.com")
            let member = try #require(joined.apiKey.secret)
            let tooMuch = try await client.send(
                .post, "/v1/team/transfers", token: owner.secret,
                json: #"{"personId": "\#(joined.person.id)", "amount": 6}"#)
            #expect(tooMuch.status == .conflict)
            #expect(try errorBody(tooMuch).code == "over_allocation")
            let moved = try await client.send(
                .post, "/v1/team/transfers", token: owner.secret,
                json: #"{"personId": "\#(joined.person.id)", "amount": 5}"#)
            #expect(moved.status == .created)
            #expect(try decode(TeamChangeView.self, moved).entries.map(\.kind) == [.transfer, .transfer])
            let leaving = try await client.send(.post, "/v1/team/leave", token: member)
            #expect(leaving.status == .ok)
            // Without a subscription there is no cycle: leaving takes effect at once.
            #expect(try await client.send(.get, "/v1/balance", token: member).status == .unauthorized)
            #expect(try await client.balance(owner).available == 5, "the member's credits came back")
        }
    }

    @Test("purchases and the operator's subscription changes appear in the owner's audit log")
    func billingChangesAreAudited() async throws {
        try await Harness().run { client in
            let owner = try await client.createWorkspace()
            _ = try await client.send(
                .put, "/v1/plans/basic", token: adminToken,
                json: #"{"name": "Basic", "monthlyAllotment": 100, "priceMinor": 4900, "currency": "USD"}"#)
            _ = try await client.send(
                .put, "/v1/plans/pro", token: adminToken,
                json: #"{"name": "Pro", "monthlyAllotment": 500, "priceMinor": 9900, "currency": "USD"}"#)
            _ = try await client.send(
                .put, "/v1/packages/small", token: adminToken,
                json: #"{"name": "10", "credits": 10, "priceMinor": 1000, "currency": "USD"}"#)
            _ = try await client.send(
                .post, "/v1/workspaces/\(owner.id)/subscription", token: adminToken, json: #"{"planId": "basic"}"#)
            _ = try await client.send(
                .post, "/v1/workspaces/\(owner.id)/subscription/plan", token: adminToken,
                json: #"{"planId": "pro", "effective": "now"}"#)
            _ = try await client.send(
                .post, "/v1/workspaces/\(owner.id)/subscription/status", token: adminToken,
                json: #"{"status": "past_due"}"#)
            let bought = try await client.send(
                .post, "/v1/purchases", token: owner.secret, json: #"{"packageId": "small"}"#,
                headers: [.idempotencyKey: "buy-1"])
            #expect(bought.status == .created)
            let purchaseId = try decode(PurchaseView.self, bought).purchase.id
            let refunded = try await client.send(
                .post, "/v1/workspaces/\(owner.id)/purchases/\(purchaseId)/refund", token: adminToken, json: "{}")
            #expect(refunded.status == .ok)
            let page = try decode(AuditPage.self, try await client.send(.get, "/v1/team/audit", token: owner.secret))
            #expect(
                page.events.map(\.action) == [
                    .purchaseRefunded, .purchaseCreated, .subscriptionStatusChanged, .planChanged,
                    .subscriptionCreated,
                ])
            #expect(page.events[0].subject == purchaseId && page.events[0].after?["takenBack"] == .number(10))
            #expect(page.events[2].before == ["status": .text("active")])
            #expect(page.events[2].after == ["status": .text("past_due")])
            #expect(page.events[3].actor == AuditEvent.operatorActor)
            #expect(
                page.events[3].before?["planId"] == .text("basic") && page.events[3].after?["planId"] == .text("pro"))
            #expect(page.events[1].after?["credits"] == .number(10))
        }
    }
}
