import CreditsCore
import Foundation

extension MemoryStore: DoNotCallStore {
    public func addDoNotCall(workspaceId: WorkspaceID, _ numbers: [DoNotCallNumber]) async throws -> Int {
        try CallStoreChecks.numbers(numbers.map(\.phoneNumber))
        guard workspaces[workspaceId] != nil else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
        let now = clock.now()
        var added = 0
        for number in numbers where calls.doNotCall[workspaceId]?[number.phoneNumber] == nil {
            var entry = number
            entry.addedAt = now
            calls.doNotCall[workspaceId, default: [:]][number.phoneNumber] = entry
            added += 1
        }
        return added
    }

    public func removeDoNotCall(workspaceId: WorkspaceID, numbers: [String]) async throws -> Int {
        try CallStoreChecks.numbers(numbers)
        var removed = 0
        for number in Set(numbers) where calls.doNotCall[workspaceId]?.removeValue(forKey: number) != nil {
            removed += 1
        }
        return removed
    }

    public func doNotCallMatches(workspaceId: WorkspaceID, numbers: [String]) async throws -> Set<String> {
        guard numbers.count <= Limits.dncBatchMax else {
            throw LedgerRefusal.invalid("at most \(Limits.dncBatchMax) numbers at a time")
        }
        let list = calls.doNotCall[workspaceId] ?? [:]
        return Set(numbers.filter { list[$0] != nil })
    }

    public func doNotCallList(workspaceId: WorkspaceID, after: String?, limit: Int) async throws -> DoNotCallPage {
        guard (1...Limits.pageSizeMax).contains(limit) else {
            throw LedgerRefusal.invalid("limit must be between 1 and \(Limits.pageSizeMax)")
        }
        let sorted = (calls.doNotCall[workspaceId] ?? [:]).values
            .filter { after == nil || $0.phoneNumber > after! }
            .sorted { $0.phoneNumber < $1.phoneNumber }
        let page = Array(sorted.prefix(limit))
        return DoNotCallPage(numbers: page, nextCursor: sorted.count > limit ? page.last?.phoneNumber : nil)
    }
}
