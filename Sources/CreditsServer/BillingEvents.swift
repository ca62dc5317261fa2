import CreditsCore
import CreditsStore

/// A billing change the customer's systems may want to hear about (outbound notifications, issue 5 item 4).
public enum BillingEvent: Hashable, Sendable {
    /// A payment was confirmed and its lot added (sent once per payment, never for a repeated confirmation).
    case purchaseCompleted(PurchaseCompletion)
    /// A refund took credits back (sent once per refund amount).
    case purchaseRefunded(PurchaseRefund)
    /// A workspace's cycle was reset: past allotments expired and the new one granted (or withheld).
    case cycleReset(CycleResetReport)

    /// The workspace the event belongs to.
    public var workspaceId: WorkspaceID {
        switch self {
        case .purchaseCompleted(let completion): completion.purchase.workspaceId
        case .purchaseRefunded(let refund): refund.purchase.workspaceId
        case .cycleReset(let report): report.workspaceId
        }
    }
}

/// Where billing events go. The server calls `emit` after the change has committed, once per change (never for
/// a replay), from the request or the scheduler that made it. A crash between the commit and `emit` loses that one
/// event: a sink that must not lose any should record it durably and deliver it from there.
public protocol BillingEventSink: Sendable {
    func emit(_ event: BillingEvent) async
}

/// The default: events go nowhere (no notifications configured).
public struct NoBillingEvents: BillingEventSink {
    public init() {}
    public func emit(_ event: BillingEvent) async {}
}
