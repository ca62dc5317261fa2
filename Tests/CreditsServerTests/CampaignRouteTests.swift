import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

@Suite("Campaign routes")
struct CampaignRouteTests {
    @Test func createReadListAndEditACampaign() async throws {
        try await CampaignHarness().run { client in
            let workspace = try await client.createWorkspace()
            let created = try await client.createCampaign(workspace, extra: #", "creditCap": 50"#)
            #expect(created.status == .draft && created.walletId == workspace.poolWalletId && created.creditCap == 50)
            #expect(created.pacing.timeZone == "Europe/Berlin" && created.pacing.lines == 2)
            #expect(try await client.campaign(workspace, created) == created)
            let list = try decode(
                CampaignListView.self, try await client.send(.get, "/v1/campaigns", token: workspace.secret))
            #expect(list.campaigns.map(\.id) == [created.id])
            let edited = try await client.send(
                .patch, "/v1/campaigns/\(created.id)", token: workspace.secret,
                json: #"{"name": "Summer", "pacing": {"lines": 5}, "creditCap": null}"#)
            #expect(edited.status == .ok)
            let view = try decode(CampaignView.self, edited)
            #expect(view.name == "Summer" && view.pacing.lines == 5 && view.creditCap == nil)
            #expect(view.pacing.callingEndMinutes == 1440, "fields left out keep their values")
        }
    }

    @Test func badPacingIsRefusedWith422() async throws {
        try await CampaignHarness().run { client in
            let workspace = try await client.createWorkspace()
            for pacing in [
                #"{"lines": 0}"#, #"{"activeDays": ["funday"]}"#,
                #"{"callingStartMinutes": 600, "callingEndMinutes": 540}"#,
            ] {
                let response = try await client.send(
                    .post, "/v1/campaigns", token: workspace.secret, json: #"{"name": "x", "pacing": \#(pacing)}"#)
                #expect(response.status == .unprocessableContent, "\(pacing)")
                #expect(try errorBody(response).code == "invalid_request")
            }
        }
    }

    @Test func anotherWorkspacesCampaignIs404() async throws {
        try await CampaignHarness().run { client in
            let owner = try await client.createWorkspace(name: "Owner")
            let other = try await client.createWorkspace(name: "Other")
            let campaign = try await client.createCampaign(owner)
            for (method, path) in [
                (HTTPRequest.Method.get, ""), (.get, "/send-step"), (.post, "/launch"), (.post, "/cancel"),
            ] {
                let response = try await client.send(method, "/v1/campaigns/\(campaign.id)\(path)", token: other.secret)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(try errorBody(response).code == "campaign_not_found")
            }
        }
    }

    @Test func csvUploadAcceptsGoodRowsAndReportsEachBadOne() async throws {
        try await CampaignHarness().run { client in
            let workspace = try await client.createWorkspace()
            let campaign = try await client.createCampaign(workspace)
            let csv = """
                first_name,last_name,phone,phone2,phone3
                Ada,Lovelace,(415) 555-0101,+44 20 7946 0958,
                Bad,Letters,415-555-01AB,,
                No,Number,,,
                Short,Fallback,4155550103,12345,+14155550104
                """
            let response = try await client.upload(workspace, campaign, csv: csv)
            #expect(response.status == .created)
            let upload = try decode(RecipientUploadView.self, response)
            #expect(upload.accepted == 2 && upload.rowsRead == 4 && upload.rowsRejected == 2)
            #expect(upload.phoneColumns == ["phone", "phone2", "phone3"])
            #expect(upload.rowErrors.map(\.row) == [3, 4, 5])
            #expect(upload.rowErrors.map(\.code) == ["phone_invalid_characters", "row_no_phone", "phone_too_short"])
            #expect(upload.rowErrors[2].column == "phone2")
            #expect(upload.campaign.progress.recipients == 2)
            let list = try decode(
                RecipientListView.self,
                try await client.send(.get, "/v1/campaigns/\(campaign.id)/recipients", token: workspace.secret))
            #expect(
                list.recipients.map(\.numbers) == [
                    ["+14155550101", "+442079460958"], ["+14155550103", "+14155550104"],
                ])
            #expect(list.recipients.map(\.row) == [2, 5] && list.recipients[0].lastName == "Lovelace")
        }
    }

    @Test func aFileThatIsNoRecipientListIs422AndTooLargeIs413() async throws {
        try await CampaignHarness(recipientUploadBytesMax: 200).run { client in
            let workspace = try await client.createWorkspace()
            let campaign = try await client.createCampaign(workspace)
            let noPhone = try await client.upload(workspace, campaign, csv: "name,email\nAda,ada@example.com\n")
            #expect(noPhone.status == .unprocessableContent)
            #expect(try errorBody(noPhone).code == "csv_no_phone_column")
            let large = try await client.upload(workspace, campaign, csv: contactsCSV(20, numbersMax: 1))
            #expect(large.status == .contentTooLarge)
            #expect(try errorBody(large).code == "payload_too_large")
            #expect(try await client.campaign(workspace, campaign).progress.recipients == 0)
        }
    }

    @Test func recipientsCannotBeUploadedOnceLaunched() async throws {
        try await CampaignHarness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 10)
            let campaign = try await client.createCampaign(workspace)
            _ = try await client.upload(workspace, campaign, csv: contactsCSV(2, numbersMax: 1))
            #expect(try await client.campaignAction(workspace, campaign, "launch").status == .ok)
            let late = try await client.upload(workspace, campaign, csv: contactsCSV(2, numbersMax: 1, first: 50))
            #expect(late.status == .conflict)
            #expect(try errorBody(late).code == "campaign_not_editable")
        }
    }

    @Test func actionsFollowTheStateMachineAndRefuseWhatCannotHappen() async throws {
        try await CampaignHarness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 10)
            let campaign = try await client.createCampaign(workspace)
            let empty = try await client.campaignAction(workspace, campaign, "launch")
            #expect(empty.status == .conflict)
            #expect(try errorBody(empty).code == "campaign_no_recipients")
            _ = try await client.upload(workspace, campaign, csv: contactsCSV(3, numbersMax: 1))
            #expect(try await client.campaignAction(workspace, campaign, "resume").status == .conflict)
            let launched = try decode(CampaignView.self, try await client.campaignAction(workspace, campaign, "launch"))
            #expect(launched.status == .running)
            let paused = try decode(CampaignView.self, try await client.campaignAction(workspace, campaign, "pause"))
            #expect(paused.status == .paused && paused.pauseReason == .user)
            let resumed = try decode(CampaignView.self, try await client.campaignAction(workspace, campaign, "resume"))
            #expect(resumed.status == .running && resumed.pauseReason == nil)
            let cancelled = try decode(
                CampaignView.self, try await client.campaignAction(workspace, campaign, "cancel"))
            #expect(cancelled.status == .cancelled && cancelled.progress.done == 3)
            let again = try await client.campaignAction(workspace, campaign, "cancel")
            #expect(again.status == .conflict)
            #expect(try errorBody(again).code == "campaign_invalid_transition")
        }
    }

    @Test func aLaunchAtALaterTimeSchedulesTheCampaign() async throws {
        let harness = CampaignHarness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 10)
            let campaign = try await client.createCampaign(workspace)
            _ = try await client.upload(workspace, campaign, csv: contactsCSV(2, numbersMax: 1))
            let at = RFC3339.string(from: harness.clock.now().addingTimeInterval(3600))
            let response = try await client.campaignAction(workspace, campaign, "launch", json: #"{"at": "\#(at)"}"#)
            let scheduled = try decode(CampaignView.self, response)
            #expect(scheduled.status == .scheduled && scheduled.launchAt.map(RFC3339.string) == at)
            try await harness.simulation.run()
            #expect(try await client.campaign(workspace, campaign).status == .completed)
        }
    }

    @Test func cancelThroughTheAPIReleasesHoldsAndStopsDialing() async throws {
        let harness = CampaignHarness()
        try await harness.run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 10)
            let campaign = try await client.createCampaign(workspace)
            _ = try await client.upload(workspace, campaign, csv: contactsCSV(6, numbersMax: 1))
            _ = try await client.campaignAction(workspace, campaign, "launch")
            await harness.runner.tick()
            harness.clock.advance(seconds: 1)
            await harness.telephony.deliverDue(now: harness.clock.now())
            #expect(try await client.balance(workspace).held == 2, "two calls ringing")
            let cancelled = try decode(
                CampaignView.self, try await client.campaignAction(workspace, campaign, "cancel"))
            #expect(cancelled.status == .cancelled && cancelled.progress.active == 0 && cancelled.progress.done == 6)
            let balance = try await client.balance(workspace)
            #expect(balance.held == 0 && balance.available == 10)
            try await harness.simulation.run()
            #expect(harness.telephony.callsInProgress == 0)
            #expect(try await harness.store.verify().isEmpty)
        }
    }
}
