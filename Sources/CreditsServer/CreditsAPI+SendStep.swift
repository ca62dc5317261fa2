import CreditsCore
import CreditsStore
import Foundation
import Hummingbird

/// The Send step (pre-launch check) and the inbound single call.
extension CreditsAPI {
    /// The Send step's figures for `campaign` launched at `start`: recipients, maximum and minimum calls,
    /// numbers the DNC list filters, the wallet's available credits and any shortfall, the expected cost
    /// from the workspace's connect rates by position over the last 30 days (or the stated default), and
    /// the completion estimate from the pacing.
    func sendStepView(_ campaign: Campaign, start: Date) async throws -> SendStepView {
        let workspaceId = campaign.workspaceId
        let numberLists = try await store.recipientNumbers(workspaceId: workspaceId, campaignId: campaign.id)
        var distinct = Set<String>()
        for numbers in numberLists { distinct.formUnion(numbers) }
        let all = Array(distinct)
        var dnc = Set<String>()
        for batch in stride(from: 0, to: all.count, by: Limits.dncBatchMax) {
            dnc.formUnion(
                try await store.doNotCallMatches(
                    workspaceId: workspaceId, numbers: Array(all[batch..<min(batch + Limits.dncBatchMax, all.count)])))
        }
        let balance = try await store.balance(workspaceId: workspaceId, walletId: campaign.walletId)
        let today = CalendarDay(clock.now(), in: campaign.pacing.timeZone)
        let statistics = try await store.positionStatistics(
            workspaceId: workspaceId, from: today.adding(days: -ConnectRates.historyDays), to: today)
        let history = ConnectRates.history(statistics)
        let rates = history ?? .noHistoryDefault
        let figures = try SendStep.figures(
            numberLists: numberLists, dnc: dnc, availableCredits: balance.available, rates: rates,
            pacing: campaign.pacing, start: start)
        let warning =
            figures.needsAcknowledgement
            ? "the campaign could use up to \(figures.maximumCalls) credits but the wallet has "
                + "\(figures.availableCredits): \(figures.shortfall) short. Launching needs acknowledgeShortfall; "
                + "the campaign pauses when the credits run out and resumes when more arrive"
            : nil
        func view(_ rates: PositionRates, _ position: Int) -> PositionRatesView {
            PositionRatesView(position: position, person: rates.person, machine: rates.machine)
        }
        let ratesView = ConnectRatesView(
            source: history == nil ? "default" : "history", days: ConnectRates.historyDays,
            historyAttempts: statistics.first { $0.position == 1 }?.dialed ?? 0,
            byPosition: rates.byPosition.enumerated().map { view($1, $0 + 1) },
            defaultRates: view(ConnectRates.noHistoryDefault.rates(at: 1), 1))
        return SendStepView(
            recipients: figures.recipients, maximumCalls: figures.maximumCalls, minimumCalls: figures.minimumCalls,
            dncFilteredNumbers: figures.dncFilteredNumbers,
            recipientsWithoutDialableNumber: figures.recipientsWithoutDialableNumber,
            availableCredits: figures.availableCredits, shortfall: figures.shortfall,
            needsAcknowledgement: figures.needsAcknowledgement, warning: warning,
            expectedCalls: (figures.expectedCalls * 100).rounded() / 100,
            expectedCredits: (figures.expectedCredits * 100).rounded() / 100, connectRates: ratesView, startAt: start,
            estimatedCompletionAt: figures.estimatedCompletionAt, latestCompletionAt: figures.latestCompletionAt)
    }

    /// `POST /v1/calls.execute` with `{campaignId, phoneNumber, …}`: one call for a running or paused campaign.
    /// With credits available it is queued ahead of the campaign's recipients (202); with the wallet empty it
    /// is recorded at once as a Cancelled attempt (reason `out_of_credits`, no cost) and answered 200.
    func executeCall(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let body = try await decodeBody(ExecuteCallBody.self, from: request)
        try Limits.checkIdentifier(body.campaignId, field: "campaignId")
        guard let campaign = try await store.campaign(workspaceId: key.workspaceId, campaignId: body.campaignId),
            key.mayUse(walletId: campaign.walletId)
        else {
            throw CampaignRefusal(.campaignNotFound, "no campaign \(body.campaignId) in this workspace")
        }
        guard campaign.status.isActive else {
            throw CampaignRefusal(
                .notActive, "a single call needs a running or paused campaign, not a \(campaign.status.rawValue) one")
        }
        let number: PhoneNumber
        do {
            number = try PhoneNumber(body.phoneNumber)
        } catch {
            throw LedgerRefusal.invalid("phoneNumber: \(error.message) (\(error.rawValue))")
        }
        for name in [body.firstName, body.lastName, body.name].compactMap({ $0 })
        where name.utf8.count > Limits.csvNameBytesMax {
            throw LedgerRefusal.invalid("a name may have at most \(Limits.csvNameBytesMax) bytes")
        }
        let balance = try await store.balance(workspaceId: key.workspaceId, walletId: campaign.walletId)
        guard balance.available > .zero else {
            let attemptId = "\(campaign.id):call:" + UUID().uuidString.lowercased()
            let created = try await store.createAttempts(
                workspaceId: key.workspaceId,
                [
                    NewAttempt(
                        id: attemptId, walletId: campaign.walletId, campaignId: campaign.id, numberPosition: 1,
                        phoneNumber: number.e164)
                ])
            var attempt = created[0].attempt
            if attempt.status == .waiting {
                attempt = try await store.startDialing(
                    DialCommand(workspaceId: key.workspaceId, attemptId: attemptId, whenOutOfCredits: .cancel)
                ).attempt
            }
            if attempt.status == .calling {
                // Credits arrived between the balance check and the hold: the call goes ahead.
                try await runner.telephony.place(
                    CallRequest(
                        workspaceId: key.workspaceId, attemptId: attemptId, campaignId: campaign.id,
                        phoneNumber: number.e164, position: 1))
            }
            context.logger.info(
                "single call recorded without dialing",
                metadata: ["campaign": "\(campaign.id)", "status": "\(attempt.status.rawValue)"])
            return try JSONResponse.make(ExecuteCallView(status: attempt.status.rawValue, attempt: attempt))
        }
        let recipient = Recipient(
            row: 0, firstName: body.firstName, lastName: body.lastName, name: body.name, numbers: [number])
        let added = try await store.addRecipients(
            workspaceId: key.workspaceId, campaignId: campaign.id, [recipient], singleCall: true)
        let queued = CampaignSteps.recipients(
            [recipient], campaignId: campaign.id, firstIndex: added.firstIndex, singleCall: true)
        return try JSONResponse.make(ExecuteCallView(status: "queued", recipient: queued.first), status: .accepted)
    }
}
