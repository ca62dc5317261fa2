import CreditsCore
import CreditsStore
import Foundation
import HTTPTypes
import Hummingbird

/// The Do Not Call list: a page of numbers, add one, remove one, import a CSV (the API's import).
extension Portal {
    struct DoNotCallView {
        struct Number {
            var phone: String
            var source: String
            var added: String
        }
        var numbers: [Number]
        var empty: Bool
        var next: String?
        var message: String?
        var rowErrors: [CampaignView.RowError]
        var hasRowErrors: Bool
        var csrf: String
    }

    /// `GET /portal/dnc?after=`: 100 numbers at a time, in number order.
    func doNotCallPage(_ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn) async throws
        -> Response
    {
        try await doNotCallPage(signIn, after: request.uri.queryParameters.get("after"))
    }

    private func doNotCallPage(
        _ signIn: PortalSignIn, after: String?, message: String? = nil, rowErrors: [RecipientRowError] = [],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        if let after { try Limits.checkIdentifier(after, field: "after") }
        let page = try await store.doNotCallList(workspaceId: signIn.workspaceId, after: after, limit: 100)
        let view = DoNotCallView(
            numbers: page.numbers.map {
                DoNotCallView.Number(phone: $0.phoneNumber, source: $0.source, added: signIn.format.time($0.addedAt))
            }, empty: page.numbers.isEmpty,
            next: page.nextCursor.map {
                "/portal/dnc?after=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)"
            },
            message: message,
            rowErrors: rowErrors.map {
                CampaignView.RowError(row: PortalFormat.number($0.row), column: $0.column ?? "", message: $0.message)
            }, hasRowErrors: !rowErrors.isEmpty, csrf: signIn.session.csrfToken)
        return render("dnc", view, title: "Do Not Call", signIn: signIn, status: status)
    }

    /// `POST /portal/dnc` `phone`: lists one number (read in the workspace's default country, +1).
    func addDoNotCall(_ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm)
        async throws -> Response
    {
        let phone = try number(form["phone"])
        try await store.addDoNotCall(
            workspaceId: signIn.workspaceId, [DoNotCallNumber(phoneNumber: phone, source: "portal")])
        return try await doNotCallPage(signIn, after: nil, message: "\(phone) is on the Do Not Call list.")
    }

    /// `POST /portal/dnc/remove` `phone`.
    func removeDoNotCall(
        _ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm
    ) async throws -> Response {
        let phone = try number(form["phone"])
        let removed = try await store.removeDoNotCall(workspaceId: signIn.workspaceId, numbers: [phone])
        return try await doNotCallPage(
            signIn, after: nil,
            message: removed > 0 ? "\(phone) was taken off the list." : "\(phone) was not on the list.")
    }

    /// `POST /portal/dnc/import`: a CSV file (`file`) or pasted text (`csv`) with a `phone` column.
    func importDoNotCall(
        _ request: Request, _ context: CreditsRequestContext, _ signIn: PortalSignIn, _ form: PortalForm
    ) async throws -> Response {
        let data = form.files["file"] ?? Data((form["csv"] ?? "").utf8)
        guard !data.isEmpty else { throw PortalError.invalid("Choose a CSV file or paste the rows.") }
        let result = try await api.importDoNotCall(workspaceId: signIn.workspaceId, csv: data)
        return try await doNotCallPage(
            signIn, after: nil,
            message: "Read \(PortalFormat.number(result.rows)) rows: \(PortalFormat.number(result.added)) numbers "
                + "added, \(PortalFormat.number(result.numbers - result.added)) already listed, "
                + "\(PortalFormat.number(result.rowErrorCount)) rows with errors.",
            rowErrors: result.rowErrors)
    }

    private func number(_ text: String?) throws -> String {
        let trimmed = (text ?? "").trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw PortalError.invalid("Enter a phone number.") }
        do {
            return try PhoneNumber(trimmed).e164
        } catch {
            throw PortalError.invalid("\(trimmed) is not a phone number: \(error.message)")
        }
    }
}
