import CreditsCore
import CreditsStore
import Foundation
import Hummingbird

/// Campaign routes: create, list, read, edit, recipients (CSV), the Send step, launch, pause, resume,
/// cancel. Everything is scoped to the key's workspace; another workspace's campaign is 404.
extension CreditsAPI {
    /// `POST /v1/campaigns`: a draft on the named wallet (default: the pool).
    func createCampaign(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        let body = try await decodeBody(CreateCampaignBody.self, from: request)
        let campaign = try await store.createCampaign(
            NewCampaign(
                workspaceId: key.workspaceId,
                walletId: key.isOwner ? body.walletId : try await scopedWallet(body.walletId, key), name: body.name,
                creditCap: body.creditCap,
                pacing: try body.pacing?.settings() ?? PacingSettings()))
        return try JSONResponse.make(CampaignView(campaign), status: .created)
    }

    /// `GET /v1/campaigns?limit=&cursor=`: newest first.
    func listCampaigns(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        let query = request.uri.queryParameters
        let limit = try integer(query.get("limit"), name: "limit") ?? Limits.pageSizeDefault
        let cursor = query.get("cursor")
        if let cursor { try Limits.checkIdentifier(cursor, field: "cursor") }
        let page = try await store.campaigns(workspaceId: key.workspaceId, limit: limit, before: cursor)
        // A member's page keeps only their own campaigns (it may hold fewer than `limit`; the cursor goes on).
        let visible = page.campaigns.filter { key.mayUse(walletId: $0.walletId) }
        return try JSONResponse.make(
            CampaignListView(campaigns: visible.map(CampaignView.init), nextCursor: page.nextCursor))
    }

    /// `GET /v1/campaigns/{campaignId}`.
    func getCampaign(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        try JSONResponse.make(CampaignView(try await ownCampaign(key, context)))
    }

    /// `PATCH /v1/campaigns/{campaignId}`: name, pacing (any time before it ends) and the credit cap (raising
    /// it resumes a campaign paused at its cap; `null` removes it).
    func editCampaign(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let campaign = try await ownCampaign(key, context)
        let body = try await decodeBody(EditCampaignBody.self, from: request)
        var edited = campaign
        if body.name != nil || body.pacing != nil {
            let pacing = try body.pacing.map { try $0.settings(over: campaign.pacing.settings) }
            edited = try await store.editCampaign(
                workspaceId: key.workspaceId, campaignId: campaign.id, CampaignEdit(name: body.name, pacing: pacing))
        }
        if body.setsCreditCap {
            if let cap = body.creditCap, cap.count < 1 || cap.count > Limits.grantAmountMax {
                throw LedgerRefusal.invalid("creditCap must be between 1 and \(Limits.grantAmountMax), or null")
            }
            edited = try await store.applyCampaignAction(
                workspaceId: key.workspaceId, campaignId: campaign.id, .setCreditCap(body.creditCap))
        }
        return try JSONResponse.make(CampaignView(edited))
    }

    /// `POST /v1/campaigns/{campaignId}/recipients` with a CSV body: the rows accepted, each bad row reported.
    /// `?defaultCountryCode=` reads national numbers (default 1).
    func uploadRecipients(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let campaign = try await ownCampaign(key, context)
        let country =
            try integer(request.uri.queryParameters.get("defaultCountryCode"), name: "defaultCountryCode") ?? 1
        guard (1...999).contains(country) else { throw LedgerRefusal.invalid("defaultCountryCode must be 1…999") }
        guard campaign.status == .draft else {
            throw CampaignRefusal(.notEditable, "recipients are uploaded to a draft campaign")
        }
        let data = try await collectBody(request, limit: configuration.recipientUploadBytesMax)
        let upload = try RecipientCSV.parse(data, defaultCountryCode: country)
        var updated = campaign
        if !upload.recipients.isEmpty {
            updated = try await store.addRecipients(
                workspaceId: key.workspaceId, campaignId: campaign.id, upload.recipients, singleCall: false
            ).campaign
        }
        let view = RecipientUploadView(
            accepted: upload.recipients.count, rowsRead: upload.rowsRead, rowsRejected: upload.rowsRejected,
            rowErrorCount: upload.rowErrorCount, rowErrors: upload.rowErrors, phoneColumns: upload.phoneColumns,
            campaign: CampaignView(updated))
        return try JSONResponse.make(view, status: upload.recipients.isEmpty ? .ok : .created)
    }

    /// `GET /v1/campaigns/{campaignId}/recipients?limit=&cursor=`: in upload order.
    func listRecipients(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        let campaign = try await ownCampaign(key, context)
        let query = request.uri.queryParameters
        let page = try await store.recipients(
            workspaceId: key.workspaceId, campaignId: campaign.id,
            after: try integer(query.get("cursor"), name: "cursor"),
            limit: try integer(query.get("limit"), name: "limit") ?? Limits.pageSizeDefault)
        return try JSONResponse.make(RecipientListView(recipients: page.recipients, nextCursor: page.nextCursor))
    }

    /// `GET /v1/campaigns/{campaignId}/send-step?startAt=`: the pre-launch figures.
    func sendStep(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let campaign = try await ownCampaign(key, context)
        var start = clock.now()
        if let text = request.uri.queryParameters.get("startAt") {
            guard let date = RFC3339.date(from: String(text)) else {
                throw LedgerRefusal.invalid("startAt must be an RFC 3339 time such as 2026-01-05T14:00:00Z")
            }
            start = max(date, start)
        }
        return try JSONResponse.make(try await sendStepView(campaign, start: start))
    }

    /// `POST /v1/campaigns/{campaignId}/launch` with optional `{at, acknowledgeShortfall}`.
    func launchCampaign(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        let campaign = try await ownCampaign(key, context)
        let body = try await decodeOptionalBody(LaunchBody.self, from: request)
        guard campaign.status == .draft else {
            throw CampaignRefusal(.invalidTransition, "a \(campaign.status.rawValue) campaign cannot be launched")
        }
        let figures = try await sendStepView(campaign, start: max(body?.at ?? clock.now(), clock.now()))
        let launched = try await store.applyCampaignAction(
            workspaceId: key.workspaceId, campaignId: campaign.id,
            .launch(at: body?.at, shortfall: figures.shortfall, acknowledged: body?.acknowledgeShortfall ?? false))
        context.logger.info(
            "campaign launched", metadata: ["campaign": "\(campaign.id)", "status": "\(launched.status.rawValue)"])
        return try JSONResponse.make(CampaignView(launched))
    }

    /// `POST /v1/campaigns/{campaignId}/pause`.
    func pauseCampaign(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        try await act(key, context, .pause)
    }

    /// `POST /v1/campaigns/{campaignId}/resume`.
    func resumeCampaign(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        try await act(key, context, .resume)
    }

    /// `POST /v1/campaigns/{campaignId}/cancel`: Waiting attempts become Cancelled and calls not yet connected
    /// are hung up (their holds released); calls already connected end by themselves.
    func cancelCampaign(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        let campaign = try await ownCampaign(key, context)
        let cancelled = try await runner.cancel(workspaceId: key.workspaceId, campaignId: campaign.id)
        return try JSONResponse.make(CampaignView(cancelled))
    }

    // MARK: Helpers

    private func act(_ key: Principal, _ context: CreditsRequestContext, _ action: CampaignAction) async throws
        -> Response
    {
        let campaign = try await ownCampaign(key, context)
        let updated = try await store.applyCampaignAction(
            workspaceId: key.workspaceId, campaignId: campaign.id, action)
        return try JSONResponse.make(CampaignView(updated))
    }

    /// The campaign the path names, in the key's workspace.
    func ownCampaign(_ key: Principal, _ context: CreditsRequestContext) async throws -> Campaign {
        let campaignId = try parameter("campaignId", context)
        try Limits.checkIdentifier(campaignId, field: "campaignId")
        guard let campaign = try await store.campaign(workspaceId: key.workspaceId, campaignId: campaignId),
            key.mayUse(walletId: campaign.walletId)
        else {
            throw CampaignRefusal(.campaignNotFound, "no campaign \(campaignId) in this workspace")
        }
        return campaign
    }

    /// An optional integer query parameter.
    func integer(_ text: String?, name: String) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text) else { throw APIError.badRequest("\(name) must be an integer") }
        return value
    }
}
