import CreditsCore
import CreditsStore
import Foundation

// Forwards the call capabilities to the PostgreSQL store.
extension RunningPostgresStore {
    func createAttempts(workspaceId: WorkspaceID, _ attempts: [NewAttempt]) async throws -> [AttemptUpdate] {
        try await base.createAttempts(workspaceId: workspaceId, attempts)
    }
    func startDialing(_ command: DialCommand) async throws -> AttemptUpdate {
        try await base.startDialing(command)
    }
    func applyEvent(_ command: AttemptEventCommand) async throws -> AttemptUpdate {
        try await base.applyEvent(command)
    }
    func cancelAttempt(workspaceId: WorkspaceID, attemptId: AttemptID, reason: String?) async throws -> AttemptUpdate {
        try await base.cancelAttempt(workspaceId: workspaceId, attemptId: attemptId, reason: reason)
    }
    func cancelWaitingAttempts(
        workspaceId: WorkspaceID, campaignId: CampaignID, reason: String?, limit: Int
    ) async throws -> [CallAttempt] {
        try await base.cancelWaitingAttempts(
            workspaceId: workspaceId, campaignId: campaignId, reason: reason, limit: limit)
    }
    func reconcileAttempts(limit: Int) async throws -> [CallAttempt] { try await base.reconcileAttempts(limit: limit) }
    func attempt(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> CallAttempt? {
        try await base.attempt(workspaceId: workspaceId, attemptId: attemptId)
    }
    func attempts(_ query: AttemptQuery) async throws -> AttemptPage { try await base.attempts(query) }
    func attempts(workspaceId: WorkspaceID, ids: [AttemptID]) async throws -> [CallAttempt] {
        try await base.attempts(workspaceId: workspaceId, ids: ids)
    }
    func attemptEvents(workspaceId: WorkspaceID, attemptId: AttemptID) async throws -> [AttemptEventRecord] {
        try await base.attemptEvents(workspaceId: workspaceId, attemptId: attemptId)
    }
    func usage(_ query: UsageQuery) async throws -> UsageReport {
        try await base.usage(query)
    }
    func positionStatistics(workspaceId: WorkspaceID, from: CalendarDay, to: CalendarDay) async throws
        -> [PositionStatistics]
    {
        try await base.positionStatistics(workspaceId: workspaceId, from: from, to: to)
    }
}

extension RunningPostgresStore {
    func addDoNotCall(workspaceId: WorkspaceID, _ numbers: [DoNotCallNumber]) async throws -> Int {
        try await base.addDoNotCall(workspaceId: workspaceId, numbers)
    }
    func removeDoNotCall(workspaceId: WorkspaceID, numbers: [String]) async throws -> Int {
        try await base.removeDoNotCall(workspaceId: workspaceId, numbers: numbers)
    }
    func doNotCallMatches(workspaceId: WorkspaceID, numbers: [String]) async throws -> Set<String> {
        try await base.doNotCallMatches(workspaceId: workspaceId, numbers: numbers)
    }
    func doNotCallList(workspaceId: WorkspaceID, after: String?, limit: Int) async throws -> DoNotCallPage {
        try await base.doNotCallList(workspaceId: workspaceId, after: after, limit: limit)
    }
}
