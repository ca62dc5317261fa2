import CreditsCore
import CreditsStore
import Foundation
import GRDB

extension SQLiteStore: DoNotCallStore {
    public func addDoNotCall(workspaceId: WorkspaceID, _ numbers: [DoNotCallNumber]) async throws -> Int {
        try CallStoreChecks.numbers(numbers.map(\.phoneNumber))
        let clock = clockSource
        return try await groupWriter.write { db in
            _ = try SQLiteCallRows.timeZone(db, workspaceId)
            let now = clock.now().millisecondsSince1970
            var added = 0
            for number in numbers {
                try RawStatement.execute(
                    db.cachedStatement(
                        sql: """
                            INSERT INTO dnc_numbers (workspace_id, phone_number, source, added_at) VALUES (?, ?, ?, ?)
                            ON CONFLICT (workspace_id, phone_number) DO NOTHING
                            """),
                    [.text(workspaceId), .text(number.phoneNumber), .text(number.source), .integer(now)])
                added += db.changesCount
            }
            return added
        }
    }

    public func removeDoNotCall(workspaceId: WorkspaceID, numbers: [String]) async throws -> Int {
        try CallStoreChecks.numbers(numbers)
        return try await groupWriter.write { db in
            var removed = 0
            for number in Set(numbers) {
                try RawStatement.execute(
                    db.cachedStatement(sql: "DELETE FROM dnc_numbers WHERE workspace_id = ? AND phone_number = ?"),
                    [.text(workspaceId), .text(number)])
                removed += db.changesCount
            }
            return removed
        }
    }

    public func doNotCallMatches(workspaceId: WorkspaceID, numbers: [String]) async throws -> Set<String> {
        guard numbers.count <= Limits.dncBatchMax else {
            throw LedgerRefusal.invalid("at most \(Limits.dncBatchMax) numbers at a time")
        }
        return try await readPool.read { db in
            var found = Set<String>()
            let statement = try db.cachedStatement(
                sql: "SELECT 1 FROM dnc_numbers WHERE workspace_id = ? AND phone_number = ?")
            for number in Set(numbers)
            where try RawStatement.first(statement, [.text(workspaceId), .text(number)], { _ in true }) != nil {
                found.insert(number)
            }
            return found
        }
    }

    public func doNotCallList(workspaceId: WorkspaceID, after: String?, limit: Int) async throws -> DoNotCallPage {
        guard (1...Limits.pageSizeMax).contains(limit) else {
            throw LedgerRefusal.invalid("limit must be between 1 and \(Limits.pageSizeMax)")
        }
        return try await readPool.read { db in
            let fetched = try db.rows(
                """
                SELECT phone_number, source, added_at FROM dnc_numbers
                WHERE workspace_id = ? AND (? IS NULL OR phone_number > ?) ORDER BY phone_number LIMIT ?
                """, [.text(workspaceId), .text(after), .text(after), .integer(Int64(limit + 1))]
            ) { row in
                DoNotCallNumber(phoneNumber: row.text(0), source: row.text(1), addedAt: SQLiteRows.date(row, 2))
            }
            let page = Array(fetched.prefix(limit))
            return DoNotCallPage(numbers: page, nextCursor: fetched.count > limit ? page.last?.phoneNumber : nil)
        }
    }
}
