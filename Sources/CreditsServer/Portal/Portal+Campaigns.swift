import CreditsCore
import CreditsStore
import Foundation
import HTTPTypes
import Hummingbird

/// Campaigns: the list, one campaign with its attempts and the Send step, CSV upload, launch (with the shortfall
/// acknowledgement), pause, resume and cancel. The rules are the API's: the same store actions and Send step.
extension Portal {
    struct CampaignsView {
        struct Row {
            var link: String
            var name: String
            var status: String
            var recipients: String
            var attempts: String
            var credits: String
            var created: String
        }
        var campaigns: [Row]
        var empty: Bool
        var csrf: String
    }

    /// `GET /portal/campaigns`: newest first; a member sees only their own.
    func campaignsPage(_ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn) async throws
        -> Response
    {
        let page = try await store.campaigns(
            workspaceId: signIn.workspaceId, limit: Limits.campaignPageSizeMax, before: nil)
        let shown = page.campaigns.filter { visible($0, to: signIn) }
        let view = CampaignsView(
            campaigns: shown.map {
                CampaignsView.Row(
                    link: "/portal/campaigns/\(Self.pathEscape($0.id))", name: $0.name, status: Self.statusLabel($0),
                    recipients: PortalFormat.number($0.progress.recipients),
                    attempts: PortalFormat.number($0.progress.attemptsDialed),
                    credits: PortalFormat.credits($0.progress.creditsSpent), created: signIn.format.time($0.createdAt))
            }, empty: shown.isEmpty, csrf: signIn.session.csrfToken)
        return render("campaigns", view, title: "Campaigns", signIn: signIn)
    }

    /// `POST /portal/campaigns` `name`: a draft on the person's wallet with the default pacing.
    func createCampaign(
        _ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm
    ) async throws -> Response {
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw PortalError.invalid("Give the campaign a name.") }
        let campaign = try await store.createCampaign(
            NewCampaign(workspaceId: signIn.workspaceId, walletId: signIn.person.walletId, name: name))
        return Self.redirect("/portal/campaigns/\(Self.pathEscape(campaign.id))")
    }

    struct CampaignView {
        struct SendStep {
            var recipients: String
            var maximumCalls: String
            var minimumCalls: String
            var expectedCalls: String
            var dncFiltered: String
            var withoutNumber: String
            var available: String
            var shortfall: String
            var short: Bool
            var completion: String
            var latestCompletion: String
        }
        struct Attempt {
            var phone: String
            var position: String
            var status: String
            var statusClass: String
            var credits: String
            var ended: String
        }
        struct RowError {
            var row: String
            var column: String
            var message: String
        }
        var id: String
        var link: String
        var name: String
        var status: String
        var pauseReason: String?
        var recipients: String
        var done: String
        var answered: String
        var attemptsDialed: String
        var credits: String
        var created: String
        var started: String
        var ended: String
        var isDraft: Bool
        var canPause: Bool
        var canResume: Bool
        var canCancel: Bool
        var sendStep: SendStep?
        var attempts: [Attempt]
        var moreAttempts: Bool
        var noAttempts: Bool
        var uploaded: Bool
        var uploadAccepted: String
        var uploadRejected: String
        var rowErrors: [RowError]
        var moreRowErrors: String?
        var error: String?
        var csrf: String
    }

    /// `GET /portal/campaigns/{campaignId}`.
    func campaignPage(_ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn) async throws
        -> Response
    {
        let campaign = try await ownCampaign(context, signIn)
        return render(
            "campaign", try await campaignView(campaign, signIn), title: campaign.name, signIn: signIn)
    }

    /// `POST /portal/campaigns/{campaignId}/recipients`: a CSV file (`file`) or pasted text (`csv`); the page then
    /// shows how many rows were accepted and every rejected row's error (up to `Limits.csvRowErrorsMax`).
    func uploadRecipients(
        _ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm
    ) async throws -> Response {
        let campaign = try await ownCampaign(context, signIn)
        guard campaign.status == .draft else {
            throw CampaignRefusal(.notEditable, "recipients are uploaded to a draft campaign")
        }
        let data = form.files["file"] ?? Data((form["csv"] ?? "").utf8)
        guard !data.isEmpty else { throw PortalError.invalid("Choose a CSV file or paste the rows.") }
        let country = Int(form["defaultCountryCode"] ?? "1") ?? 0
        guard (1...999).contains(country) else { throw PortalError.invalid("The country code must be 1 to 999.") }
        let upload = try RecipientCSV.parse(data, defaultCountryCode: country)
        var updated = campaign
        if !upload.recipients.isEmpty {
            updated = try await store.addRecipients(
                workspaceId: signIn.workspaceId, campaignId: campaign.id, upload.recipients, singleCall: false
            ).campaign
        }
        var view = try await campaignView(updated, signIn)
        view.uploaded = true
        view.uploadAccepted = PortalFormat.number(upload.recipients.count)
        view.uploadRejected = PortalFormat.number(upload.rowsRejected)
        view.rowErrors = upload.rowErrors.map {
            CampaignView.RowError(row: PortalFormat.number($0.row), column: $0.column ?? "", message: $0.message)
        }
        if upload.rowErrorCount > upload.rowErrors.count {
            view.moreRowErrors = PortalFormat.number(upload.rowErrorCount - upload.rowErrors.count)
        }
        return render(
            "campaign", view, title: campaign.name, signIn: signIn,
            status: upload.recipients.isEmpty ? .unprocessableContent : .ok)
    }

    /// `POST /portal/campaigns/{campaignId}/launch` `acknowledgeShortfall=yes`: launches now; with a shortfall only
    /// when acknowledged (else the page again, 409 `shortfall_not_acknowledged`, nothing launched).
    func launchCampaign(
        _ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm
    ) async throws -> Response {
        let campaign = try await ownCampaign(context, signIn)
        guard campaign.status == .draft else {
            throw CampaignRefusal(.invalidTransition, "a \(campaign.status.rawValue) campaign cannot be launched")
        }
        let figures = try await api.sendStepView(campaign, start: api.clock.now())
        let acknowledged = form["acknowledgeShortfall"] == "yes"
        do {
            _ = try await store.applyCampaignAction(
                workspaceId: signIn.workspaceId, campaignId: campaign.id,
                .launch(at: nil, shortfall: figures.shortfall, acknowledged: acknowledged))
        } catch let refusal as CampaignRefusal where refusal.code == .shortfallNotAcknowledged {
            var view = try await campaignView(campaign, signIn)
            view.error =
                "This campaign may need \(PortalFormat.credits(figures.shortfall)) credits more than the wallet has. "
                + "Tick the acknowledgement to launch anyway, or buy credits first."
            var headers = HTTPFields()
            headers[PortalError.codeHeader] = refusal.code.rawValue
            return render(
                "campaign", view, title: campaign.name, signIn: signIn, status: .conflict, headers: headers)
        }
        context.logger.info("campaign launched from the portal", metadata: ["campaign": "\(campaign.id)"])
        return Self.redirect("/portal/campaigns/\(Self.pathEscape(campaign.id))")
    }

    /// Pause and resume.
    func act(
        _ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm,
        _ action: CampaignAction
    ) async throws -> Response {
        let campaign = try await ownCampaign(context, signIn)
        _ = try await store.applyCampaignAction(workspaceId: signIn.workspaceId, campaignId: campaign.id, action)
        return Self.redirect("/portal/campaigns/\(Self.pathEscape(campaign.id))")
    }

    /// Cancel: as the API's, through the runner, which hangs up calls not yet connected.
    func cancelCampaign(
        _ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm
    ) async throws -> Response {
        let campaign = try await ownCampaign(context, signIn)
        _ = try await api.runner.cancel(workspaceId: signIn.workspaceId, campaignId: campaign.id)
        return Self.redirect("/portal/campaigns/\(Self.pathEscape(campaign.id))")
    }

    // MARK: Helpers

    /// The owner sees every campaign; a member only those on their own wallet.
    func visible(_ campaign: Campaign, to signIn: PortalSignIn) -> Bool {
        signIn.person.isOwner || campaign.walletId == signIn.person.walletId
    }

    /// The campaign the path names, in the session's workspace and visible to the person; else 404.
    func ownCampaign(_ context: CreditsRequestContext, _ signIn: PortalSignIn) async throws -> Campaign {
        let id = context.parameters.get("campaignId") ?? ""
        try Limits.checkIdentifier(id, field: "campaignId")
        guard let campaign = try await store.campaign(workspaceId: signIn.workspaceId, campaignId: id),
            visible(campaign, to: signIn)
        else {
            throw CampaignRefusal(.campaignNotFound, "There is no such campaign.")
        }
        return campaign
    }

    static func statusLabel(_ campaign: Campaign) -> String {
        switch campaign.status {
        case .draft: "Draft"
        case .scheduled: "Scheduled"
        case .running: "Running"
        case .paused:
            switch campaign.pauseReason {
            case .outOfCredits: "Paused: out of credits"
            case .creditCap: "Paused: credit cap reached"
            case .user, nil: "Paused"
            }
        case .cancelled: "Cancelled"
        case .completed: "Completed"
        }
    }

    private func campaignView(_ campaign: Campaign, _ signIn: PortalSignIn) async throws -> CampaignView {
        let format = signIn.format
        var sendStep: CampaignView.SendStep?
        if campaign.status == .draft {
            let figures = try await api.sendStepView(campaign, start: api.clock.now())
            sendStep = CampaignView.SendStep(
                recipients: PortalFormat.number(figures.recipients),
                maximumCalls: PortalFormat.number(figures.maximumCalls),
                minimumCalls: PortalFormat.number(figures.minimumCalls),
                expectedCalls: PortalFormat.number(Int64(figures.expectedCalls.rounded())),
                dncFiltered: PortalFormat.number(figures.dncFilteredNumbers),
                withoutNumber: PortalFormat.number(figures.recipientsWithoutDialableNumber),
                available: PortalFormat.credits(figures.availableCredits),
                shortfall: PortalFormat.credits(figures.shortfall), short: figures.shortfall > .zero,
                completion: format.time(figures.estimatedCompletionAt),
                latestCompletion: format.time(figures.latestCompletionAt))
        }
        let page = try await store.attempts(
            AttemptQuery(workspaceId: signIn.workspaceId, campaignId: campaign.id, limit: 100))
        let attempts = page.attempts.map { attempt in
            CampaignView.Attempt(
                phone: attempt.phoneNumber, position: attempt.numberPosition.map { String($0) } ?? "—",
                status: PortalFormat.status(attempt.status), statusClass: attempt.status.rawValue.lowercased(),
                credits: PortalFormat.credits(attempt.creditsCharged), ended: format.time(attempt.endedAt))
        }
        let status = campaign.status
        return CampaignView(
            id: campaign.id, link: "/portal/campaigns/\(Self.pathEscape(campaign.id))", name: campaign.name,
            status: Self.statusLabel(campaign), pauseReason: campaign.pauseReason?.rawValue,
            recipients: PortalFormat.number(campaign.progress.recipients),
            done: PortalFormat.number(campaign.progress.done),
            answered: PortalFormat.number(campaign.progress.answered),
            attemptsDialed: PortalFormat.number(campaign.progress.attemptsDialed),
            credits: PortalFormat.credits(campaign.progress.creditsSpent), created: format.time(campaign.createdAt),
            started: format.time(campaign.startedAt), ended: format.time(campaign.endedAt), isDraft: status == .draft,
            canPause: status == .running || status == .scheduled, canResume: status == .paused,
            canCancel: !status.isFinal, sendStep: sendStep, attempts: attempts, moreAttempts: page.nextCursor != nil,
            noAttempts: attempts.isEmpty, uploaded: false, uploadAccepted: "", uploadRejected: "", rowErrors: [],
            moreRowErrors: nil, error: nil, csrf: signIn.session.csrfToken)
    }
}
