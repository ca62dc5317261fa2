import CreditsCore
import CreditsStore
import Foundation
import Hummingbird

/// The usage breakdown: read from the rollups the store keeps as attempts end, so a request reads a few
/// rows per day of the period, not every attempt.
extension CreditsAPI {
    /// `GET /v1/usage?from=YYYY-MM-DD&to=YYYY-MM-DD&walletId=&format=json|csv`: whole local days of the
    /// workspace's time zone, both ends included; default the last 30 days up to today.
    func usage(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        guard let workspace = try await store.workspace(id: key.workspaceId) else {
            throw LedgerRefusal(.workspaceNotFound, "no such workspace")
        }
        let today = CalendarDay(clock.now(), in: TimeZone(identifier: workspace.timeZone) ?? .gmt)
        let to = try day(query.get("to"), field: "to") ?? today
        let from = try day(query.get("from"), field: "from") ?? to.adding(days: -29)
        let usageQuery = UsageQuery(
            workspaceId: key.workspaceId, walletId: try scopedFilter(query.get("walletId"), key), from: from, to: to)
        let report = try await store.usage(usageQuery)
        switch query.get("format") ?? "json" {
        case "json":
            return try JSONResponse.make(report)
        case "csv":
            let data = Data(UsageCSV.make(report).utf8)
            let headers: HTTPFields = [
                .contentType: "text/csv; charset=utf-8", .contentLength: String(data.count),
                .contentDisposition: "attachment; filename=\"usage-\(from)-\(to).csv\"",
            ]
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        default:
            throw LedgerRefusal.invalid("format must be json or csv")
        }
    }

    private func day(_ text: String?, field: String) throws(LedgerRefusal) -> CalendarDay? {
        guard let text else { return nil }
        guard let day = CalendarDay(text) else { throw .invalid("\(field) must be a date such as 2026-01-31") }
        return day
    }
}

/// The usage report as one CSV: a `section` column says which breakdown a row belongs to.
enum UsageCSV {
    static let header = "section,key,label,status,attempts,credits,refunded_credits,uncollected"

    static func make(_ report: UsageReport) -> String {
        var lines = [header]
        for row in report.byOutcome {
            lines.append(
                line(
                    "outcome", row.outcome.rawValue, row.label, row.status.rawValue, row.attempts, row.credits,
                    row.refundedCredits, 0))
        }
        for row in report.byCampaign {
            let figures = row.figures
            lines.append(
                line(
                    "campaign", row.campaignId ?? "", row.campaignId == nil ? "single calls" : "", "", figures.attempts,
                    figures.credits, figures.refundedCredits, figures.uncollected))
        }
        for row in report.byDay {
            let figures = row.figures
            lines.append(
                line(
                    "day", row.day.description, "", "", figures.attempts, figures.credits, figures.refundedCredits,
                    figures.uncollected))
        }
        let totals = report.totals
        lines.append(
            line("total", "", "", "", totals.attempts, totals.credits, totals.refundedCredits, totals.uncollected))
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private static func line(
        _ section: String, _ key: String, _ label: String, _ status: String, _ attempts: Int64, _ credits: Int64,
        _ refunded: Int64, _ uncollected: Int64
    ) -> String {
        [section, key, label, status, String(attempts), String(credits), String(refunded), String(uncollected)]
            .map(field).joined(separator: ",")
    }

    /// RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet does not run
    /// it as a formula (campaign ids are client-chosen).
    static func field(_ text: String) -> String {
        var value = text
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
