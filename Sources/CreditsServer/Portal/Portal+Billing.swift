import CreditsCore
import CreditsStore
import Foundation
import HTTPTypes
import Hummingbird

/// Account → Billing: the figures of `GET /v1/billing` (the store's `billingSummary`) for the owner's pool or the
/// member's own wallet, and the usage breakdown of `GET /v1/usage` for a chosen period, with its CSV.
extension Portal {
    struct BillingView {
        struct Allotment {
            var planName: String
            var granted: String
            var used: String
            var held: String
            var left: String
            var usedPercent: Int
            var cycleStart: String
            var cycleEnd: String
        }
        struct Lot {
            var amount: String
            var remaining: String
            var bought: String
            var expires: String
        }
        struct OutcomeRow {
            var label: String
            var status: String
            var attempts: String
            var credits: String
            var refunded: String
        }
        struct FiguresRow {
            var name: String
            var link: String?
            var attempts: String
            var credits: String
            var refunded: String
        }
        var available: String
        var held: String
        var lowBalance: Bool
        var allotment: Allotment?
        var noSubscription: Bool
        /// A member's monthly allotment from the owner.
        var memberAllotment: String?
        var nextReset: String
        var purchased: [Lot]
        var purchasedLeft: String
        var timeZone: String
        var from: String
        var to: String
        var outcomes: [OutcomeRow]
        var totals: FiguresRow
        var campaigns: [FiguresRow]
        var showMembers: Bool
        var members: [FiguresRow]
        var chart: String
        var csvLink: String
        var asOf: String
    }

    /// `GET /portal/billing?from=&to=`.
    func billingPage(_ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn) async throws
        -> Response
    {
        let format = signIn.format
        let summary = try await store.billingSummary(workspaceId: signIn.workspaceId)
        // A member's page shows the member's own wallet; the owner's the pool (what `GET /v1/billing` answers).
        let balance = try await store.balance(workspaceId: signIn.workspaceId, walletId: signIn.person.walletId)
        let ownPool = signIn.person.walletId == summary.walletId
        let (from, to) = try period(request, signIn)
        let report = try await store.usage(usageQuery(signIn, from: from, to: to))
        var allotment: BillingView.Allotment?
        if ownPool, let line = summary.allotment {
            let granted = max(line.granted.count, 1)
            allotment = BillingView.Allotment(
                planName: summary.subscription?.planName ?? "", granted: PortalFormat.credits(line.granted),
                used: PortalFormat.credits(line.used), held: PortalFormat.credits(line.held),
                left: PortalFormat.credits(line.left),
                usedPercent: Int(min(100, (line.used.count + line.held.count) * 100 / granted)),
                cycleStart: format.time(line.cycleStart), cycleEnd: format.time(line.cycleEnd))
        }
        let lots =
            ownPool
            ? summary.purchased.map {
                BillingView.Lot(
                    amount: PortalFormat.credits($0.amount), remaining: PortalFormat.credits($0.remaining),
                    bought: format.time($0.effectiveAt), expires: $0.expiresAt.map { format.time($0) } ?? "never")
            } : []
        var campaigns: [BillingView.FiguresRow] = []
        for row in report.byCampaign {
            var name = "Single calls"
            if let id = row.campaignId {
                name = try await store.campaign(workspaceId: signIn.workspaceId, campaignId: id)?.name ?? id
            }
            campaigns.append(
                figuresRow(name, row.figures, link: row.campaignId.map { "/portal/campaigns/\(Self.pathEscape($0))" }))
        }
        var members: [BillingView.FiguresRow] = []
        if signIn.person.isOwner {
            var emails: [WalletID: String] = [:]
            for person in try await store.people(workspaceId: signIn.workspaceId) {
                if let wallet = person.walletId { emails[wallet] = person.email }
            }
            // The owner's report covers every wallet: one breakdown, not one query per wallet.
            var usage: [WalletID: UsageReport.Figures] = [:]
            for row in report.byWallet { usage[row.walletId] = row.figures }
            for wallet in try await store.wallets(workspaceId: signIn.workspaceId) {
                let name =
                    wallet.kind == .pool
                    ? "Owner (pool)" : emails[wallet.id] ?? "Member \(wallet.memberId ?? wallet.id)"
                members.append(figuresRow(name, usage[wallet.id] ?? UsageReport.Figures()))
            }
        }
        var byDay: [CalendarDay: Int64] = [:]
        for row in report.byDay { byDay[row.day] = row.figures.credits }
        let days = (0...max(0, from.days(to: to))).map { from.adding(days: $0) }.map {
            (day: $0, credits: byDay[$0] ?? 0)
        }
        let view = BillingView(
            available: PortalFormat.credits(balance.available), held: PortalFormat.credits(balance.held),
            lowBalance: balance.available.count < 10, allotment: allotment,
            noSubscription: ownPool && summary.subscription == nil,
            memberAllotment: signIn.person.isOwner ? nil : PortalFormat.credits(signIn.person.person.monthlyAllotment),
            nextReset: ownPool ? format.time(summary.nextResetAt) : "—", purchased: lots,
            purchasedLeft: PortalFormat.credits(ownPool ? summary.purchasedLeft : .zero),
            timeZone: signIn.workspace.timeZone, from: from.description, to: to.description,
            outcomes: report.byOutcome.map {
                BillingView.OutcomeRow(
                    label: $0.label, status: PortalFormat.status($0.status), attempts: PortalFormat.number($0.attempts),
                    credits: PortalFormat.number($0.credits), refunded: PortalFormat.number($0.refundedCredits))
            },
            totals: figuresRow("Total", report.totals), campaigns: campaigns, showMembers: signIn.person.isOwner,
            members: members, chart: UsageChart.svg(days: days),
            csvLink: "/portal/billing/usage.csv?from=\(from)&to=\(to)", asOf: format.time(summary.asOf))
        return render("billing", view, title: "Billing", signIn: signIn)
    }

    /// `GET /portal/billing/usage.csv?from=&to=`: the same CSV as `GET /v1/usage?format=csv`.
    func usageCSV(_ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn) async throws
        -> Response
    {
        let (from, to) = try period(request, signIn)
        let report = try await store.usage(usageQuery(signIn, from: from, to: to))
        let data = Data(UsageCSV.make(report).utf8)
        let headers: HTTPFields = [
            .contentType: "text/csv; charset=utf-8", .contentLength: String(data.count),
            .contentDisposition: "attachment; filename=\"usage-\(from)-\(to).csv\"", .cacheControl: "no-store",
        ]
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The owner's usage covers the whole workspace; a member's only their own wallet.
    private func usageQuery(_ signIn: PortalSignIn, from: CalendarDay, to: CalendarDay) -> UsageQuery {
        UsageQuery(
            workspaceId: signIn.workspaceId, walletId: signIn.person.isOwner ? nil : signIn.person.walletId,
            from: from, to: to)
    }

    /// The period the query names (whole local days), default the last 30 days up to today.
    private func period(_ request: Request, _ signIn: PortalSignIn) throws -> (CalendarDay, CalendarDay) {
        let query = request.uri.queryParameters
        let today = CalendarDay(api.clock.now(), in: signIn.format.timeZone)
        func day(_ name: String) throws -> CalendarDay? {
            guard let text = query.get(name), !text.isEmpty else { return nil }
            guard let day = CalendarDay(text) else {
                throw PortalError.invalid("\(name) must be a date such as 2026-01-31")
            }
            return day
        }
        let to = try day("to") ?? today
        let from = try day("from") ?? to.adding(days: -29)
        guard from <= to else { throw PortalError.invalid("The period must start before it ends.") }
        guard from.days(to: to) < Limits.usageDaysMax else {
            throw PortalError.invalid("A period may cover at most \(PortalFormat.number(Limits.usageDaysMax)) days.")
        }
        return (from, to)
    }

    private func figuresRow(_ name: String, _ figures: UsageReport.Figures, link: String? = nil)
        -> BillingView.FiguresRow
    {
        BillingView.FiguresRow(
            name: name, link: link, attempts: PortalFormat.number(figures.attempts),
            credits: PortalFormat.number(figures.credits), refunded: PortalFormat.number(figures.refundedCredits))
    }

    /// A path segment with everything but unreserved characters percent-encoded.
    static func pathEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }
}
