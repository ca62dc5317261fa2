import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

/// Plans, subscriptions, the billing figures and built-in purchases over HTTP.
@Suite("Billing routes")
struct BillingRouteTests {
    @Test func subscribingGrantsTheFirstAllotmentAndTheBillingPageShowsIt() async throws {
        let harness = BillingHarness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await listenToEvents(harness.store, workspace.id)
            try await client.setUpBilling(workspace)
            #expect(try await deliveredEventTypes(harness.store, workspace.id) == [.cycleReset])
            try await client.hold(workspace, attempt: "call-1")
            let billing = try await client.billing(workspace)
            #expect(billing.available == 99 && billing.held == 1)
            #expect(billing.allotment?.granted == 100 && billing.allotment?.held == 1 && billing.allotment?.left == 99)
            #expect(billing.subscription?.planId == "basic" && billing.subscription?.monthlyAllotment == 100)
            #expect(billing.nextResetAt == harness.clock.now().addingTimeInterval(31 * 86_400))
            let view = try decode(
                SubscriptionView.self,
                try await client.send(.get, "/v1/workspaces/\(workspace.id)/subscription", token: adminToken))
            #expect(view.currentCycle?.index == 0 && view.subscription.lastResetCycle == 0)
        }
    }

    @Test func aSecondSubscriptionIsAConflictAndUnknownPlansAreNotFound() async throws {
        try await BillingHarness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.setUpBilling(workspace)
            let again = try await client.send(
                .post, "/v1/workspaces/\(workspace.id)/subscription", token: adminToken, json: #"{"planId": "basic"}"#)
            #expect(try again.status == .conflict && errorBody(again).code == "subscription_exists")
            let other = try await client.createWorkspace(name: "Other")
            let unknown = try await client.send(
                .post, "/v1/workspaces/\(other.id)/subscription", token: adminToken, json: #"{"planId": "gold"}"#)
            #expect(try unknown.status == .notFound && errorBody(unknown).code == "plan_not_found")
            let none = try await client.send(.get, "/v1/workspaces/\(other.id)/subscription", token: adminToken)
            #expect(try errorBody(none).code == "subscription_not_found")
            let byKey = try await client.send(.put, "/v1/plans/x", token: workspace.secret, json: "{}")
            #expect(byKey.status == .unauthorized)
        }
    }

    @Test func aPlanChangeNowTopsUpAndAnUnknownTimingIsRefused() async throws {
        try await BillingHarness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.setUpBilling(workspace)
            _ = try await client.send(
                .put, "/v1/plans/pro", token: adminToken,
                json: #"{"name": "Pro", "monthlyAllotment": 500, "priceMinor": 19900, "currency": "USD"}"#)
            let bad = try await client.send(
                .post, "/v1/workspaces/\(workspace.id)/subscription/plan", token: adminToken,
                json: #"{"planId": "pro", "effective": "yesterday"}"#)
            #expect(bad.status == .unprocessableContent)
            let now = try await client.send(
                .post, "/v1/workspaces/\(workspace.id)/subscription/plan", token: adminToken,
                json: #"{"planId": "pro", "effective": "now"}"#)
            #expect(now.status == .ok)
            #expect(try decode(SubscriptionView.self, now).lot?.amount == 400)
            #expect(try await client.billing(workspace).allotment?.granted == 500)
        }
    }

    @Test func pastDueThenActiveAgainGrantsTheCycleAtOnce() async throws {
        let harness = BillingHarness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await client.setUpBilling(workspace)
            let status = "/v1/workspaces/\(workspace.id)/subscription/status"
            #expect(
                try await client.send(.post, status, token: adminToken, json: #"{"status": "past_due"}"#).status == .ok)
            harness.clock.advance(seconds: 32 * 86_400)
            _ = try await harness.store.resetDueCycles(limit: 10)
            #expect(try await client.billing(workspace).available == 0)
            let active = try await client.send(.post, status, token: adminToken, json: #"{"status": "active"}"#)
            #expect(try decode(SubscriptionView.self, active).reset?.granted == 100)
            #expect(try await client.billing(workspace).available == 100)
            let wrong = try await client.send(.post, status, token: adminToken, json: #"{"status": "paused"}"#)
            #expect(wrong.status == .unprocessableContent)
        }
    }

    @Test func theBuiltInProviderConfirmsAtOnceAndARepeatChangesNothing() async throws {
        let harness = BillingHarness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await client.setUpBilling(workspace)
            try await listenToEvents(harness.store, workspace.id)
            let packages = try decode(
                PackageList.self, try await client.send(.get, "/v1/packages", token: workspace.secret))
            #expect(packages.packages.map(\.id) == ["small"])
            let first = try await client.buy(workspace)
            #expect(first.status == .created)
            let bought = try decode(PurchaseView.self, first)
            #expect(bought.purchase.status == .completed && bought.purchase.provider == "builtin")
            #expect(bought.lot?.amount == 10 && bought.lot?.source == .purchase)
            let again = try await client.buy(workspace)
            #expect(again.status == .ok && again.headers[.idempotentReplayed] == "true")
            #expect(try decode(PurchaseView.self, again).purchase == bought.purchase)
            #expect(try decode(PurchaseView.self, again).lot == bought.lot)
            let billing = try await client.billing(workspace)
            #expect(billing.available == 110 && billing.purchasedLeft == 10 && billing.purchased.count == 1)
            let list = try decode(
                PurchaseList.self, try await client.send(.get, "/v1/purchases", token: workspace.secret))
            #expect(list.purchases.map(\.id) == [bought.purchase.id])
            let one = try await client.send(.get, "/v1/purchases/\(bought.purchase.id)", token: workspace.secret)
            #expect(try decode(Purchase.self, one) == bought.purchase)
            #expect(try await deliveredEventTypes(harness.store, workspace.id) == [.purchaseCompleted])
        }
    }

    @Test func aPurchaseNeedsAKeyAndAPackageOnSale() async throws {
        try await BillingHarness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.setUpBilling(workspace)
            let noKey = try await client.send(
                .post, "/v1/purchases", token: workspace.secret, json: #"{"packageId": "small"}"#)
            #expect(noKey.status == .unprocessableContent)
            let unknown = try await client.buy(workspace, package: "huge")
            #expect(try unknown.status == .notFound && errorBody(unknown).code == "package_not_found")
            _ = try await client.buy(workspace, key: "k")
            let conflict = try await client.buy(workspace, package: "huge", key: "k")
            #expect(try conflict.status == .conflict && errorBody(conflict).code == "idempotency_conflict")
            let other = try await client.createWorkspace(name: "Other")
            let foreign = try await client.send(.get, "/v1/purchases/pur_00000001", token: other.secret)
            #expect(foreign.status == .notFound)
        }
    }

    @Test func theOperatorRefundTakesBackUnusedCreditsAndReportsTheSpentOnes() async throws {
        let harness = BillingHarness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            let package = try await client.send(
                .put, "/v1/packages/small", token: adminToken,
                json: #"{"name": "10 credits", "credits": 10, "priceMinor": 1000, "currency": "USD"}"#)
            #expect(package.status == .created)
            let purchase = try decode(PurchaseView.self, try await client.buy(workspace)).purchase
            for index in 0..<4 {
                _ = try await client.hold(workspace, attempt: "c\(index)")
                _ = try await client.send(.post, "/v1/holds/c\(index)/capture", token: workspace.secret)
            }
            let path = "/v1/workspaces/\(workspace.id)/purchases/\(purchase.id)/refund"
            let refunded = try await client.send(.post, path, token: adminToken)
            #expect(refunded.status == .ok)
            let refund = try decode(PurchaseRefund.self, refunded)
            #expect(refund.takenBack == 6 && refund.alreadySpent == 4 && refund.purchase.status == .refunded)
            #expect(try await client.balance(workspace).available == 0)
            let again = try decode(PurchaseRefund.self, try await client.send(.post, path, token: adminToken))
            #expect(again.replayed && again.takenBack == 0)
        }
    }

    @Test func aStoreFailureOnTheBillingPageIs500AndLeaksNothing() async throws {
        let store = ScriptedStore(
            inner: MemoryStore(clock: ManualClock(), ids: SequentialIDs()),
            failures: ["billingSummary": SecretInfrastructureError()])
        try await Harness(store: store).run { client in
            let workspace = try await client.createWorkspace()
            let response = try await client.send(.get, "/v1/billing", token: workspace.secret)
            #expect(response.status == .internalServerError)
            #expect(try errorBody(response).code == "internal_error")
            #expect(!text(response).contains("hunter2"))
        }
    }
}
