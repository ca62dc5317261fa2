import CreditsCore
import CreditsStore
import Foundation

// Forwards the call capabilities; `check` lets a test make the attempt writes and the usage fail.
extension ScriptedStore {
    func createAttempts(workspaceId: WorkspaceID, _ attempts: [NewAttempt]) async throws -> [AttemptUpdate] {
        try check("createAttempts")
        return try await inner.createAttempts(workspaceId: workspaceId, attempts)
    }
    func startDialing(_ command: DialCommand) async throws -> AttemptUpdate {
        try check("startDialing")
        return try await inner.startDialing(command)
    }
    func applyEvent(_ command: AttemptEventCommand) async throws -> AttemptUpdate {
        try check("applyEvent")
        return try await inner.applyEvent(command)
    }
    func cancelAttempt(workspaceId: WorkspaceID, attemptId: AttemptID, reason: String?) async throws -> AttemptUpdate {
        try await inner.cancelAttempt(workspaceId: workspaceId, attemptId: attemptId, reason: reason)
    }
    func cancelWaitingAttempts(
        workspaceId: WorkspaceID, campaignId: CampaignID, reason: String?, limit: Int
    ) async throws -> [CallAttempt] {
        try await inner.cancelWaitingAttempts(
            workspaceId: workspaceId, campaignId: campaignId, reason: reason, limit: limit)
    }
    func reconcileAttempts(limit: Int) async throws -> [CallAttempt] { try await inner.reconcileAttempts(limit: limit) }
    func attempt(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> CallAttempt? {
        try await inner.attempt(workspaceId: workspaceId, attemptId: attemptId)
    }
    func attempts(_ query: AttemptQuery) async throws -> AttemptPage { try await inner.attempts(query) }
    func attempts(workspaceId: WorkspaceID, ids: [AttemptID]) async throws -> [CallAttempt] {
        try await inner.attempts(workspaceId: workspaceId, ids: ids)
    }
    func attemptEvents(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> [AttemptEventRecord] {
        try await inner.attemptEvents(workspaceId: workspaceId, attemptId: attemptId)
    }
    func usage(_ query: UsageQuery) async throws -> UsageReport {
        try check("usage")
        return try await inner.usage(query)
    }
    func positionStatistics(workspaceId: WorkspaceID, from: CalendarDay, to: CalendarDay) async throws
        -> [PositionStatistics]
    {
        try await inner.positionStatistics(workspaceId: workspaceId, from: from, to: to)
    }
}

extension ScriptedStore {
    func addDoNotCall(workspaceId: WorkspaceID, _ numbers: [DoNotCallNumber]) async throws -> Int {
        try await inner.addDoNotCall(workspaceId: workspaceId, numbers)
    }
    func removeDoNotCall(workspaceId: WorkspaceID, numbers: [String]) async throws -> Int {
        try await inner.removeDoNotCall(workspaceId: workspaceId, numbers: numbers)
    }
    func doNotCallMatches(workspaceId: WorkspaceID, numbers: [String]) async throws -> Set<String> {
        try await inner.doNotCallMatches(workspaceId: workspaceId, numbers: numbers)
    }
    func doNotCallList(workspaceId: WorkspaceID, after: String?, limit: Int) async throws -> DoNotCallPage {
        try await inner.doNotCallList(workspaceId: workspaceId, after: after, limit: limit)
    }
}
