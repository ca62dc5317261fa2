import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

extension PostgresStore: DoNotCallStore {
    public func addDoNotCall(workspaceId: WorkspaceID, _ numbers: [DoNotCallNumber]) async throws -> Int {
        try CallStoreChecks.numbers(numbers.map(\.phoneNumber))
        let now = now()
        return try await transaction("addDoNotCall") { connection in
            _ = try await zone(workspaceId, on: connection)
            // One statement for the batch; numbers already listed keep their first entry.
            let phones = numbers.map(\.phoneNumber)
            let sources = numbers.map(\.source)
            return try await rows(
                """
                INSERT INTO dnc_numbers (workspace_id, phone_number, source, added_at_ms)
                SELECT \(workspaceId), phone, source, \(now.millis)
                FROM unnest(\(phones)::text[], \(sources)::text[]) AS n(phone, source)
                ON CONFLICT (workspace_id, phone_number) DO NOTHING
                RETURNING 1
                """, on: connection
            ).count
        }
    }

    public func removeDoNotCall(workspaceId: WorkspaceID, numbers: [String]) async throws -> Int {
        try CallStoreChecks.numbers(numbers)
        return try await transaction("removeDoNotCall") { connection in
            try await rows(
                """
                DELETE FROM dnc_numbers WHERE workspace_id = \(workspaceId) AND phone_number = ANY(\(numbers)::text[])
                RETURNING 1
                """, on: connection
            ).count
        }
    }

    public func doNotCallMatches(workspaceId: WorkspaceID, numbers: [String]) async throws -> Set<String> {
        guard numbers.count <= Limits.dncBatchMax else {
            throw LedgerRefusal.invalid("at most \(Limits.dncBatchMax) numbers at a time")
        }
        return try await read("doNotCallMatches") { connection in
            Set(
                try await rows(
                    """
                    SELECT phone_number FROM dnc_numbers
                    WHERE workspace_id = \(workspaceId) AND phone_number = ANY(\(numbers)::text[])
                    """, on: connection
                ).map { try $0.decode(String.self) })
        }
    }

    public func doNotCallList(workspaceId: WorkspaceID, after: String?, limit: Int) async throws -> DoNotCallPage {
        guard (1...Limits.pageSizeMax).contains(limit) else {
            throw LedgerRefusal.invalid("limit must be between 1 and \(Limits.pageSizeMax)")
        }
        return try await read("doNotCallList") { connection in
            let fetched = try await rows(
                """
                SELECT phone_number, source, added_at_ms FROM dnc_numbers
                WHERE workspace_id = \(workspaceId) AND (\(after)::text IS NULL OR phone_number > \(after))
                ORDER BY phone_number LIMIT \(limit + 1)
                """, on: connection
            ).map { row in
                let (phone, source, addedAt) = try row.decode((String, String, Int64).self)
                return DoNotCallNumber(phoneNumber: phone, source: source, addedAt: Date(millis: addedAt))
            }
            let page = Array(fetched.prefix(limit))
            return DoNotCallPage(numbers: page, nextCursor: fetched.count > limit ? page.last?.phoneNumber : nil)
        }
    }
}
