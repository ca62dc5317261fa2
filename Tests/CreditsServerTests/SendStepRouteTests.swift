import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

@Suite("Send step and single calls")
struct SendStepRouteTests {
    @Test func seventyContactsWithUpToFourNumbersNeedBetween70And280Calls() async throws {
        try await CampaignHarness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 500)
            let campaign = try await client.createCampaign(workspace)
            let upload = try decode(
                RecipientUploadView.self,
                try await client.upload(workspace, campaign, csv: contactsCSV(70, numbersMax: 4)))
            #expect(upload.accepted == 70 && upload.rowErrorCount == 0)
            let figures = try await client.sendStep(workspace, campaign)
            #expect(figures.recipients == 70)
            #expect(figures.minimumCalls == 70)
            #expect(figures.maximumCalls == 18 * 1 + 18 * 2 + 17 * 3 + 17 * 4)
            #expect((70...280).contains(figures.maximumCalls))
            #expect(figures.availableCredits == 500 && figures.shortfall == 0 && !figures.needsAcknowledgement)
            #expect(figures.warning == nil)
            #expect(figures.expectedCalls >= 70 && figures.expectedCalls <= Double(figures.maximumCalls))
            #expect(figures.expectedCredits > 0 && figures.expectedCredits <= figures.expectedCalls)
            #expect(figures.connectRates.source == "default")
            #expect(figures.connectRates.defaultRates.person == 0.3 && figures.connectRates.defaultRates.machine == 0.4)
            let estimated = try #require(figures.estimatedCompletionAt)
            let latest = try #require(figures.latestCompletionAt)
            #expect(estimated > figures.startAt && latest >= estimated)
        }
    }

    @Test func numbersOnTheDNCListAreCountedAsFilteredAndLeftOutOfTheMaximum() async throws {
        let harness = CampaignHarness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            let campaign = try await client.createCampaign(workspace)
            _ = try await client.upload(workspace, campaign, csv: contactsCSV(4, numbersMax: 2))
            // Contact 0 has one number (+14155550001); contact 1 has two (…0002, …0003).
            try await harness.store.addDoNotCall(
                workspaceId: workspace.id,
                [DoNotCallNumber(phoneNumber: "+14155550001"), .init(phoneNumber: "+14155550003")])
            let figures = try await client.sendStep(workspace, campaign)
            #expect(figures.maximumCalls == 6 - 2 && figures.dncFilteredNumbers == 2)
            #expect(figures.minimumCalls == 3 && figures.recipientsWithoutDialableNumber == 1)
        }
    }

    @Test func aShortfallIsShownAndLaunchingThenNeedsAnAcknowledgement() async throws {
        try await CampaignHarness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 3)
            let campaign = try await client.createCampaign(workspace)
            _ = try await client.upload(workspace, campaign, csv: contactsCSV(4, numbersMax: 2))
            let figures = try await client.sendStep(workspace, campaign)
            #expect(figures.maximumCalls == 6 && figures.availableCredits == 3)
            #expect(figures.shortfall == 3 && figures.needsAcknowledgement)
            #expect(figures.warning?.contains("3 short") == true)
            let refused = try await client.campaignAction(workspace, campaign, "launch")
            #expect(refused.status == .conflict)
            #expect(try errorBody(refused).code == "shortfall_not_acknowledged")
            #expect(try await client.campaign(workspace, campaign).status == .draft)
            let launched = try await client.campaignAction(
                workspace, campaign, "launch", json: #"{"acknowledgeShortfall": true}"#)
            #expect(launched.status == .ok)
            let view = try decode(CampaignView.self, launched)
            #expect(view.status == .running && view.shortfallAcknowledged)
        }
    }

    @Test func theExpectedCostFollowsTheWorkspacesOwnConnectRates() async throws {
        let harness = CampaignHarness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 100)
            // 40 contacts, every first number answered by a person: a history of 40 attempts at position 1.
            let first = try await client.createCampaign(workspace, name: "History")
            _ = try await client.upload(workspace, first, csv: contactsCSV(40, numbersMax: 1))
            _ = try await client.campaignAction(workspace, first, "launch")
            try await harness.simulation.run()
            #expect(try await client.campaign(workspace, first).status == .completed)
            let second = try await client.createCampaign(workspace, name: "Next")
            _ = try await client.upload(workspace, second, csv: contactsCSV(10, numbersMax: 3, first: 100))
            let figures = try await client.sendStep(workspace, second)
            #expect(figures.connectRates.source == "history" && figures.connectRates.historyAttempts == 40)
            #expect(figures.connectRates.byPosition.first?.person == 1)
            #expect(figures.expectedCalls == 10 && figures.expectedCredits == 10, "everyone answers the first number")
        }
    }

    @Test func aSingleCallWithTheWalletEmptyIsRecordedAsACancelledAttempt() async throws {
        try await CampaignHarness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            let campaign = try await client.createCampaign(workspace)
            _ = try await client.upload(workspace, campaign, csv: contactsCSV(1, numbersMax: 1))
            _ = try await client.campaignAction(workspace, campaign, "launch")
            // Spend the one credit with a hold of the workspace's own.
            #expect(try await client.hold(workspace, attempt: "elsewhere").status == .created)
            let response = try await client.send(
                .post, "/v1/calls.execute", token: workspace.secret,
                json: #"{"campaignId": "\#(campaign.id)", "phoneNumber": "(415) 555-0199"}"#)
            #expect(response.status == .ok)
            let view = try decode(ExecuteCallView.self, response)
            #expect(view.status == "cancelled")
            let attempt = try #require(view.attempt)
            #expect(attempt.status == .cancelled && attempt.reason == "out_of_credits")
            #expect(attempt.campaignId == campaign.id && attempt.phoneNumber == "+14155550199")
            #expect(attempt.creditsCharged == 0)
            #expect(try await client.balance(workspace).held == 1, "nothing more was held")
        }
    }

    @Test func aSingleCallWithCreditsIsQueuedAheadOfTheRecipientsAndDialed() async throws {
        let harness = CampaignHarness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 10)
            let campaign = try await client.createCampaign(
                workspace,
                pacing: #"{"lines": 1, "activeDays": ["monday"], "callingStartMinutes": 0, "callingEndMinutes": 1440}"#)
            _ = try await client.upload(workspace, campaign, csv: contactsCSV(3, numbersMax: 1))
            _ = try await client.campaignAction(workspace, campaign, "launch")
            let response = try await client.send(
                .post, "/v1/calls.execute", token: workspace.secret,
                json: #"{"campaignId": "\#(campaign.id)", "phoneNumber": "+14155550199", "firstName": "Grace"}"#)
            #expect(response.status == .accepted)
            let view = try decode(ExecuteCallView.self, response)
            let recipient = try #require(view.recipient)
            #expect(view.status == "queued" && recipient.index == 4 && recipient.singleCall)
            await harness.runner.tick()
            let attempts = try await harness.store.attempts(
                AttemptQuery(workspaceId: workspace.id, campaignId: campaign.id))
            #expect(attempts.attempts.map(\.phoneNumber) == ["+14155550199"], "the single call goes first")
        }
    }

    @Test func aSingleCallNeedsARunningOrPausedCampaignAndAValidNumber() async throws {
        try await CampaignHarness().run { client in
            let workspace = try await client.createWorkspace()
            let campaign = try await client.createCampaign(workspace)
            let draft = try await client.send(
                .post, "/v1/calls.execute", token: workspace.secret,
                json: #"{"campaignId": "\#(campaign.id)", "phoneNumber": "+14155550199"}"#)
            #expect(draft.status == .conflict)
            #expect(try errorBody(draft).code == "campaign_not_active")
            let unknown = try await client.send(
                .post, "/v1/calls.execute", token: workspace.secret,
                json: #"{"campaignId": "cmp_nope", "phoneNumber": "+14155550199"}"#)
            #expect(unknown.status == .notFound)
            try await client.grant(workspace, amount: 1)
            _ = try await client.upload(workspace, campaign, csv: contactsCSV(1, numbersMax: 1))
            _ = try await client.campaignAction(workspace, campaign, "launch")
            let bad = try await client.send(
                .post, "/v1/calls.execute", token: workspace.secret,
                json: #"{"campaignId": "\#(campaign.id)", "phoneNumber": "call me"}"#)
            #expect(bad.status == .unprocessableContent)
            #expect(try errorBody(bad).message.contains("phone_invalid_characters"))
        }
    }
}
