import CreditsCore
import CreditsStore
import Foundation

/// One call the campaign runner asks the telephony side to place, for an attempt already dialing (its
/// credit held).
public struct CallRequest: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var attemptId: AttemptID
    public var campaignId: CampaignID?
    /// E.164.
    public var phoneNumber: String
    /// The recipient's number position (1 = `phone`).
    public var position: Int

    public init(
        workspaceId: WorkspaceID, attemptId: AttemptID, campaignId: CampaignID?, phoneNumber: String, position: Int
    ) {
        self.workspaceId = workspaceId
        self.attemptId = attemptId
        self.campaignId = campaignId
        self.phoneNumber = phoneNumber
        self.position = position
    }
}

/// What places calls: a provider (Twilio-like) or the simulated carrier. The runner only places and hangs
/// up; how a call goes comes back as the provider's status callbacks, through the one event path every
/// provider uses (`ProviderCallbacks`), never as a return value.
public protocol Telephony: Sendable {
    /// Places the call. Throwing means the call was not placed (the runner ends the attempt as Failed).
    func place(_ call: CallRequest) async throws
    /// Hangs up a call that has not connected (a campaign was cancelled). The provider reports it as
    /// cancelled through the event path; a call already connected is left to end by itself (its credit is
    /// spent). Unknown calls (placed by another instance's carrier) are ignored.
    func hangUp(workspaceId: WorkspaceID, attemptId: AttemptID) async
}

/// The event path for a provider's status callbacks: the callback is read as the attempt event it means
/// (`TwilioMapping.event(for:)`) and applied by the store's attempt rules, idempotent on an event id made
/// of the attempt and the callback's status (a provider repeating a callback changes nothing).
public struct ProviderCallbacks: Sendable {
    let store: any ServiceStore
    let source: String

    public init(store: any ServiceStore, source: String) {
        self.store = store
        self.source = source
    }

    /// Applies one callback; returns the attempt after it.
    @discardableResult
    public func deliver(
        workspaceId: WorkspaceID, attemptId: AttemptID, _ callback: TwilioStatusCallback
    ) async throws -> AttemptUpdate {
        try await store.applyEvent(
            AttemptEventCommand(
                workspaceId: workspaceId, attemptId: attemptId,
                eventId: "\(source):\(attemptId):\(callback.callStatus.rawValue)",
                event: TwilioMapping.event(for: callback), source: source))
    }
}
