import CreditsCore
import Foundation

/// The Do Not Call list, one per workspace, matched on E.164. A listed number is never dialed: an
/// attempt for it is recorded as DNC (no hold, no cost), at creation or, if it was listed meanwhile,
/// when dialing would start.
public protocol DoNotCallStore: Sendable {
    /// Adds numbers (E.164, at most `Limits.dncBatchMax`); numbers already listed keep their first entry.
    /// Returns how many were new.
    @discardableResult
    func addDoNotCall(workspaceId: WorkspaceID, _ numbers: [DoNotCallNumber]) async throws -> Int

    /// Removes numbers; returns how many were listed.
    @discardableResult
    func removeDoNotCall(workspaceId: WorkspaceID, numbers: [String]) async throws -> Int

    /// The listed numbers among `numbers` (at most `Limits.dncBatchMax`).
    func doNotCallMatches(workspaceId: WorkspaceID, numbers: [String]) async throws -> Set<String>

    /// The list in number order, a page at a time (`after`: the last number of the previous page).
    func doNotCallList(workspaceId: WorkspaceID, after: String?, limit: Int) async throws -> DoNotCallPage
}

/// One listed number.
public struct DoNotCallNumber: Hashable, Sendable, Codable {
    /// E.164.
    public var phoneNumber: String
    /// Where it came from (`api`, `csv`, a campaign's opt-out, …), for support.
    public var source: String
    public var addedAt: Date?

    public init(phoneNumber: String, source: String = "api", addedAt: Date? = nil) {
        self.phoneNumber = phoneNumber
        self.source = source
        self.addedAt = addedAt
    }
}

/// A page of the Do Not Call list.
public struct DoNotCallPage: Hashable, Sendable, Codable {
    public var numbers: [DoNotCallNumber]
    public var nextCursor: String?

    public init(numbers: [DoNotCallNumber], nextCursor: String?) {
        self.numbers = numbers
        self.nextCursor = nextCursor
    }
}
