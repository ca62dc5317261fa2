import Foundation

/// An event to put in the outbox. Emitting is idempotent on `(workspaceId, key)`: the same key emits
/// one event however often (or however concurrently) it is emitted, so a retried caller never notifies twice.
public struct NewNotification: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var type: NotificationEventType
    /// What makes this event unique in its workspace, e.g. `purchase.completed:<paymentId>`.
    public var key: String
    /// The event's own fields; the payload adds `workspaceId`.
    public var data: [String: JSONValue]
    /// When the event happened; nil: when it is enqueued.
    public var occurredAt: Date?

    public init(
        workspaceId: WorkspaceID, type: NotificationEventType, key: String, data: [String: JSONValue],
        occurredAt: Date? = nil
    ) {
        self.workspaceId = workspaceId
        self.type = type
        self.key = key
        self.data = data
        self.occurredAt = occurredAt
    }

    public func validate() throws(LedgerRefusal) {
        try Limits.checkIdentifier(key, field: "event key")
        guard data["workspaceId"] == nil else { throw .invalid("data must not set workspaceId; the payload adds it") }
    }

    /// The event with its id and its body, the exact bytes every delivery sends and signs.
    public func event(id: NotificationID, now: Date) throws(LedgerRefusal) -> NotificationEvent {
        try validate()
        let occurred = occurredAt ?? now
        var fields = data
        fields["workspaceId"] = .string(workspaceId)
        let body: JSONValue = .object([
            "type": .string(type.rawValue), "timestamp": .date(occurred), "data": .object(fields),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload: String
        do {
            payload = String(decoding: try encoder.encode(body), as: UTF8.self)
        } catch {
            throw .invalid("data cannot be encoded as JSON")
        }
        guard payload.utf8.count <= Limits.notificationPayloadBytesMax else {
            throw .invalid("the event payload must be at most \(Limits.notificationPayloadBytesMax) bytes")
        }
        return NotificationEvent(
            id: id, workspaceId: workspaceId, type: type, key: key, payload: payload, occurredAt: occurred,
            createdAt: now)
    }

    // MARK: Events other parts of the service emit

    /// A campaign paused because its wallet could not fund the next attempt; one event per pause.
    public static func campaignPausedForCredits(
        workspaceId: WorkspaceID, campaignId: String, walletId: WalletID, pausedAt: Date
    ) -> NewNotification {
        NewNotification(
            workspaceId: workspaceId, type: .campaignPausedForCredits,
            key: "campaign.paused_for_credits:\(campaignId):\(pausedAt.millisecondsSince1970)",
            data: ["campaignId": .string(campaignId), "walletId": .string(walletId), "reason": "out_of_credits"],
            occurredAt: pausedAt)
    }

    /// A payment was confirmed and its lot added; one event per payment.
    public static func purchaseCompleted(
        workspaceId: WorkspaceID, paymentId: String, walletId: WalletID, credits: Credits, lotId: LotID?,
        completedAt: Date
    ) -> NewNotification {
        NewNotification(
            workspaceId: workspaceId, type: .purchaseCompleted, key: "purchase.completed:\(paymentId)",
            data: [
                "paymentId": .string(paymentId), "walletId": .string(walletId), "credits": .integer(credits.count),
                "lotId": lotId.map(JSONValue.string) ?? .null,
            ],
            occurredAt: completedAt)
    }

    /// A billing cycle started for the workspace; one event per workspace and cycle.
    public static func cycleReset(
        workspaceId: WorkspaceID, cycleStart: Date, cycleEnd: Date, granted: Credits, expired: Credits
    ) -> NewNotification {
        NewNotification(
            workspaceId: workspaceId, type: .cycleReset,
            key: "cycle.reset:\(cycleStart.millisecondsSince1970)",
            data: [
                "cycleStart": .date(cycleStart), "cycleEnd": .date(cycleEnd), "granted": .integer(granted.count),
                "expired": .integer(expired.count),
            ],
            occurredAt: cycleStart)
    }
}

/// One event in the outbox: what happened, and the body its deliveries send.
public struct NotificationEvent: Hashable, Sendable, Codable {
    /// Also the `webhook-id` header of every delivery of this event (one id for all retries).
    public var id: NotificationID
    public var workspaceId: WorkspaceID
    public var type: NotificationEventType
    public var key: String
    /// The JSON body, exactly as sent and signed.
    public var payload: String
    public var occurredAt: Date
    public var createdAt: Date

    public init(
        id: NotificationID, workspaceId: WorkspaceID, type: NotificationEventType, key: String, payload: String,
        occurredAt: Date, createdAt: Date
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.type = type
        self.key = key
        self.payload = payload
        self.occurredAt = occurredAt
        self.createdAt = createdAt
    }
}

/// The result of emitting: the event (the first one, for a repeated key) and whether it was new.
public struct EmitResult: Hashable, Sendable {
    public var event: NotificationEvent
    /// False when the key had been emitted before: nothing new was enqueued.
    public var created: Bool
    /// Deliveries made for the event (one per enabled endpoint subscribed to its type); 0 on a repeat.
    public var deliveries: Int

    public init(event: NotificationEvent, created: Bool, deliveries: Int) {
        self.event = event
        self.created = created
        self.deliveries = deliveries
    }
}

/// Where one delivery stands.
public enum DeliveryStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// Not yet delivered; sent at `nextAttemptAt`.
    case pending
    /// A receiver answered 2xx.
    case delivered
    /// Given up: out of attempts, the endpoint answered 410 Gone, or the endpoint was deleted.
    case failed
}

/// One event's delivery to one endpoint, with its attempts so far: the delivery log's row.
public struct WebhookDelivery: Hashable, Sendable, Codable {
    public var id: DeliveryID
    public var workspaceId: WorkspaceID
    public var eventId: NotificationID
    public var eventType: NotificationEventType
    public var endpointId: WebhookEndpointID
    public var status: DeliveryStatus
    public var attempts: Int
    /// When the next attempt is due; nil once delivered or failed.
    public var nextAttemptAt: Date?
    public var lastAttemptAt: Date?
    /// The HTTP status of the last attempt; nil when it got no response.
    public var lastStatusCode: Int?
    /// Why the last attempt failed (no response, timeout, non-2xx), for the log.
    public var lastError: String?
    public var deliveredAt: Date?
    public var createdAt: Date

    public init(
        id: DeliveryID, workspaceId: WorkspaceID, eventId: NotificationID, eventType: NotificationEventType,
        endpointId: WebhookEndpointID, status: DeliveryStatus, attempts: Int, nextAttemptAt: Date?,
        lastAttemptAt: Date? = nil, lastStatusCode: Int? = nil, lastError: String? = nil, deliveredAt: Date? = nil,
        createdAt: Date
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.eventId = eventId
        self.eventType = eventType
        self.endpointId = endpointId
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.deliveredAt = deliveredAt
        self.createdAt = createdAt
    }
}

/// A delivery a sender has claimed until `claimedUntil`, with what it needs to send it.
public struct DeliveryClaim: Hashable, Sendable {
    public var delivery: WebhookDelivery
    public var url: String
    public var secret: String
    public var payload: String
    /// Proves the claim when the attempt is recorded: a sender whose claim lapsed records nothing.
    public var token: String
    public var claimedUntil: Date

    public init(
        delivery: WebhookDelivery, url: String, secret: String, payload: String, token: String, claimedUntil: Date
    ) {
        self.delivery = delivery
        self.url = url
        self.secret = secret
        self.payload = payload
        self.token = token
        self.claimedUntil = claimedUntil
    }
}

/// What one attempt came to.
public enum DeliveryDecision: Hashable, Sendable {
    case delivered
    case retry(at: Date)
    /// Out of attempts.
    case failed
    /// 410 Gone: the receiver wants no more events; the endpoint is disabled.
    case endpointGone
}

/// One finished attempt, as the sender reports it.
public struct DeliveryAttempt: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var deliveryId: DeliveryID
    public var token: String
    public var attemptedAt: Date
    public var statusCode: Int?
    public var error: String?
    public var decision: DeliveryDecision

    public init(
        workspaceId: WorkspaceID, deliveryId: DeliveryID, token: String, attemptedAt: Date, statusCode: Int?,
        error: String?, decision: DeliveryDecision
    ) {
        self.workspaceId = workspaceId
        self.deliveryId = deliveryId
        self.token = token
        self.attemptedAt = attemptedAt
        self.statusCode = statusCode
        self.error = error.map { String($0.prefix(Limits.deliveryErrorLengthMax)) }
        self.decision = decision
    }
}

/// Which deliveries to list, newest first.
public struct DeliveryQuery: Hashable, Sendable {
    public var workspaceId: WorkspaceID
    public var endpointId: WebhookEndpointID?
    public var eventId: NotificationID?
    public var status: DeliveryStatus?
    public var limit: Int
    /// Cursor: deliveries older than this one.
    public var before: DeliveryID?

    public init(
        workspaceId: WorkspaceID, endpointId: WebhookEndpointID? = nil, eventId: NotificationID? = nil,
        status: DeliveryStatus? = nil, limit: Int = Limits.pageSizeDefault, before: DeliveryID? = nil
    ) {
        self.workspaceId = workspaceId
        self.endpointId = endpointId
        self.eventId = eventId
        self.status = status
        self.limit = limit
        self.before = before
    }

    public func validate() throws(LedgerRefusal) {
        guard (1...Limits.pageSizeMax).contains(limit) else {
            throw .invalid("limit must be between 1 and \(Limits.pageSizeMax)")
        }
        if let endpointId { try Limits.checkIdentifier(endpointId, field: "endpointId") }
        if let eventId { try Limits.checkIdentifier(eventId, field: "eventId") }
        if let before { try Limits.checkIdentifier(before, field: "cursor") }
    }
}

/// A page of the delivery log, newest first; `nextCursor` continues with older ones.
public struct DeliveryPage: Hashable, Sendable, Codable {
    public var deliveries: [WebhookDelivery]
    public var nextCursor: DeliveryID?

    /// Cuts a page from `limit + 1` rows fetched newest first.
    public init(fetched: [WebhookDelivery], limit: Int) {
        self.deliveries = Array(fetched.prefix(limit))
        self.nextCursor = fetched.count > limit ? deliveries.last?.id : nil
    }
}
