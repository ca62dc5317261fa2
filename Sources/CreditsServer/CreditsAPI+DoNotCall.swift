import CreditsCore
import CreditsStore
import Foundation
import Hummingbird

/// The workspace's Do Not Call list: numbers in any common notation are matched as E.164 (national
/// numbers read as +1).
extension CreditsAPI {
    /// `GET /v1/dnc?limit=&cursor=`: the list in number order, a page at a time.
    func listDoNotCall(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        let query = request.uri.queryParameters
        let page = try await store.doNotCallList(
            workspaceId: key.workspaceId, after: query.get("cursor"), limit: try pageLimit(query.get("limit")))
        return try JSONResponse.make(page)
    }

    /// `POST /v1/dnc` with `{numbers: [...]}`: lists the numbers. All or nothing: one number that cannot be
    /// read refuses the request (422), naming it. Numbers already listed keep their first entry.
    func addDoNotCall(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response {
        let body = try await decodeBody(DoNotCallBody.self, from: request)
        guard !body.numbers.isEmpty, body.numbers.count <= Limits.dncBatchMax else {
            throw LedgerRefusal.invalid("numbers must hold 1 to \(Limits.dncBatchMax) numbers")
        }
        var numbers: [String] = []
        for (index, text) in body.numbers.enumerated() { numbers.append(try e164(text, field: "numbers[\(index)]")) }
        let added = try await store.addDoNotCall(
            workspaceId: key.workspaceId, numbers.map { DoNotCallNumber(phoneNumber: $0, source: "api") })
        return try JSONResponse.make(DoNotCallAddView(numbers: numbers, added: added))
    }

    /// `POST /v1/dnc/import`: a CSV upload with a `phone` column (and optionally `phone2`, … as in recipient
    /// files); every valid number of every row is listed. Bad rows are reported, not fatal.
    func importDoNotCall(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let data = try await collectBody(request, limit: configuration.dncImportBytesMax)
        return try JSONResponse.make(try await importDoNotCall(workspaceId: key.workspaceId, csv: data))
    }

    /// Lists every valid number of every row of a CSV (the API's import and the portal's); bad rows are reported.
    func importDoNotCall(workspaceId: WorkspaceID, csv data: Data) async throws -> DoNotCallImportView {
        let parsed: RecipientImport
        do {
            parsed = try RecipientCSV.parse(data, rowsMax: Limits.dncImportRowsMax)
        } catch {
            throw APIError(.unprocessableContent, error.code.rawValue, error.message)
        }
        var numbers: [String] = []
        var seen = Set<String>()
        for recipient in parsed.recipients {
            for number in recipient.numbers where seen.insert(number.e164).inserted { numbers.append(number.e164) }
        }
        var added = 0
        var start = 0
        while start < numbers.count {
            let chunk = numbers[start..<min(start + Limits.dncBatchMax, numbers.count)]
            added += try await store.addDoNotCall(
                workspaceId: workspaceId, chunk.map { DoNotCallNumber(phoneNumber: $0, source: "csv") })
            start += Limits.dncBatchMax
        }
        return DoNotCallImportView(
            rows: parsed.rowsRead, numbers: numbers.count, added: added, rowErrors: parsed.rowErrors,
            rowErrorCount: parsed.rowErrorCount)
    }

    /// `GET /v1/dnc/{phoneNumber}`: whether the number is listed.
    func checkDoNotCall(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws -> Response
    {
        let number = try pathNumber(context)
        let listed = try await store.doNotCallMatches(workspaceId: key.workspaceId, numbers: [number])
        return try JSONResponse.make(DoNotCallCheckView(phoneNumber: number, listed: !listed.isEmpty))
    }

    /// `DELETE /v1/dnc/{phoneNumber}`: takes the number off the list; `removed` says whether it was on it.
    func removeDoNotCall(_ key: Principal, _ request: Request, _ context: CreditsRequestContext) async throws
        -> Response
    {
        let number = try pathNumber(context)
        let removed = try await store.removeDoNotCall(workspaceId: key.workspaceId, numbers: [number])
        return try JSONResponse.make(DoNotCallCheckView(phoneNumber: number, listed: false, removed: removed > 0))
    }

    private func pathNumber(_ context: CreditsRequestContext) throws -> String {
        let raw = try parameter("phoneNumber", context)
        return try e164(raw.removingPercentEncoding ?? raw, field: "phoneNumber")
    }
}

extension APIError {
    /// An error with a code from another module's stable set (CSV refusals).
    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
        self.retryable = false
    }
}
