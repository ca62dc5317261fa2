import CreditsCore
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CreditsServer

/// The Do Not Call list through the API, and the attempts it filters.
@Suite("Do Not Call routes")
struct DoNotCallRouteTests {
    @Test func numbersAreAddedCheckedListedAndRemovedAsE164() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let added = try await client.send(
                .post, "/v1/dnc", token: workspace.secret, json: #"{"numbers": ["(415) 555-0100", "+44 20 7946 0958"]}"#
            )
            #expect(added.status == .ok)
            let view = try decode(DoNotCallAddView.self, added)
            #expect(view.numbers == ["+14155550100", "+442079460958"] && view.added == 2)
            let check = try await client.send(.get, "/v1/dnc/%2B14155550100", token: workspace.secret)
            #expect(try decode(DoNotCallCheckView.self, check).listed)
            let national = try await client.send(.get, "/v1/dnc/4155550100", token: workspace.secret)
            #expect(try decode(DoNotCallCheckView.self, national).phoneNumber == "+14155550100")
            let page = try await client.send(.get, "/v1/dnc?limit=1", token: workspace.secret)
            let listed = try decode(DoNotCallPage.self, page)
            #expect(listed.numbers.map(\.phoneNumber) == ["+14155550100"] && listed.nextCursor == "+14155550100")
            let removed = try await client.send(.delete, "/v1/dnc/%2B14155550100", token: workspace.secret)
            #expect(try decode(DoNotCallCheckView.self, removed).removed == true)
            let again = try await client.send(.get, "/v1/dnc/%2B14155550100", token: workspace.secret)
            #expect(try decode(DoNotCallCheckView.self, again).listed == false)
            let bad = try await client.send(
                .post, "/v1/dnc", token: workspace.secret, json: #"{"numbers": ["+14155550101", "nope"]}"#)
            #expect(bad.status == .unprocessableContent)
            let unchanged = try await client.send(.get, "/v1/dnc/%2B14155550101", token: workspace.secret)
            #expect(try decode(DoNotCallCheckView.self, unchanged).listed == false)
        }
    }

    @Test func aCSVImportListsTheGoodRowsAndReportsTheBadOnes() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            let csv = "name,phone,phone2\r\nAda,415-555-0100,\r\nBob,not a number,\r\nCy,+1 415 555 0102,4155550103\r\n"
            let response = try await client.execute(
                uri: "/v1/dnc/import", method: .post,
                headers: [.authorization: "Bearer \(workspace.secret)", .contentType: "text/csv"],
                body: ByteBuffer(string: csv))
            #expect(response.status == .ok)
            let view = try decode(DoNotCallImportView.self, response)
            #expect(view.rows == 3 && view.numbers == 3 && view.added == 3)
            #expect(view.rowErrorCount == 1 && view.rowErrors.first?.row == 3)
            let noPhone = try await client.execute(
                uri: "/v1/dnc/import", method: .post, headers: [.authorization: "Bearer \(workspace.secret)"],
                body: ByteBuffer(string: "name\nAda\n"))
            #expect(noPhone.status == .unprocessableContent)
            #expect(try errorBody(noPhone).code == "csv_no_phone_column")
        }
    }

    @Test func anAttemptToAListedNumberIsDNCAndNeverHoldsACredit() async throws {
        try await Harness().run { client in
            let workspace = try await client.createWorkspace()
            try await client.grant(workspace, amount: 1)
            _ = try await client.send(.post, "/v1/dnc", token: workspace.secret, json: #"{"numbers": ["4155550100"]}"#)
            let listed = try decode(CallAttempt.self, try await client.createAttempt(workspace, "a1"))
            #expect(listed.status == .dnc && listed.reason == "dnc_listed")
            let other = try decode(
                CallAttempt.self, try await client.createAttempt(workspace, "a2", number: "+14155550101"))
            #expect(other.status == .calling)
            let holds = try await client.send(.get, "/v1/holds/a1", token: workspace.secret)
            #expect(holds.status == .notFound)
            #expect(try await client.balance(workspace).held == 1)
        }
    }

    @Test func oneWorkspacesListDoesNotFilterAnothers() async throws {
        try await Harness().run { client in
            let first = try await client.createWorkspace()
            let second = try await client.createWorkspace(name: "Other")
            try await client.grant(second, amount: 1)
            _ = try await client.send(.post, "/v1/dnc", token: first.secret, json: #"{"numbers": ["+14155550100"]}"#)
            let attempt = try decode(CallAttempt.self, try await client.createAttempt(second, "a1"))
            #expect(attempt.status == .calling)
        }
    }
}
