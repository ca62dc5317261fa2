import Foundation

public typealias WebhookEndpointID = String
public typealias NotificationID = String
public typealias DeliveryID = String

/// The events a workspace can receive on its webhook endpoints, named as Standard Webhooks recommends
/// (full-stop delimited, `[a-z_]`).
public enum NotificationEventType: String, Hashable, Sendable, Codable, CaseIterable {
    /// A wallet's available credits fell under the workspace's low-balance threshold.
    case walletLowBalance = "wallet.low_balance"
    /// A wallet has no available credit left: no new call can be dialed from it.
    case walletEmpty = "wallet.empty"
    /// At its current dialing pace, a wallet runs out within the workspace's runway threshold.
    case walletRunwayLow = "wallet.runway_low"
    /// A campaign stopped dialing because its wallet could not fund the next attempt.
    case campaignPausedForCredits = "campaign.paused_for_credits"
    /// A payment was confirmed and its credits were added.
    case purchaseCompleted = "purchase.completed"
    /// A billing cycle started: the old allotment expired and the new one was granted.
    case cycleReset = "cycle.reset"
    /// Sent on request, to check an endpoint.
    case webhookTest = "webhook.test"
}

/// A JSON value: the `data` of an event, as the part that emits it describes it.
public enum JSONValue: Hashable, Sendable, Codable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// An RFC 3339 timestamp with milliseconds, as every date in the API.
    public static func date(_ date: Date) -> JSONValue {
        .string(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// Per-workspace thresholds of the wallet alerts. A nil threshold turns its alert off;
/// `wallet.empty` needs no threshold and is always evaluated.
public struct NotificationSettings: Hashable, Sendable, Codable {
    /// `wallet.low_balance` fires when a wallet's available credits drop under this.
    public var lowBalanceCredits: Credits?
    /// `wallet.runway_low` fires when a wallet's runway drops under this many minutes.
    public var runwayMinutes: Int?

    public init(lowBalanceCredits: Credits? = nil, runwayMinutes: Int? = nil) {
        self.lowBalanceCredits = lowBalanceCredits
        self.runwayMinutes = runwayMinutes
    }

    /// What a workspace has until it sets its own: no low-balance threshold (it depends on the
    /// workspace's size), a one-hour runway warning (it does not).
    public static let defaults = NotificationSettings(lowBalanceCredits: nil, runwayMinutes: 60)

    public func validate() throws(LedgerRefusal) {
        if let lowBalanceCredits, !(1...Limits.grantAmountMax).contains(lowBalanceCredits.count) {
            throw .invalid("lowBalanceCredits must be between 1 and \(Limits.grantAmountMax)")
        }
        if let runwayMinutes, !(1...Limits.runwayMinutesMax).contains(runwayMinutes) {
            throw .invalid("runwayMinutes must be between 1 and \(Limits.runwayMinutesMax)")
        }
    }
}

/// Where a workspace's events are sent. The secret signs every delivery (Standard Webhooks, `whsec_…`).
public struct WebhookEndpoint: Hashable, Sendable, Codable {
    public var id: WebhookEndpointID
    public var workspaceId: WorkspaceID
    public var url: String
    public var description: String
    /// The event types sent to this endpoint; empty means every type.
    public var eventTypes: [NotificationEventType]
    /// A disabled endpoint keeps its pending deliveries until it is enabled again.
    public var enabled: Bool
    /// `whsec_` + base64 of the signing key. Shown to the workspace once, when the endpoint is created.
    public var secret: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: WebhookEndpointID, workspaceId: WorkspaceID, url: String, description: String,
        eventTypes: [NotificationEventType], enabled: Bool, secret: String, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.workspaceId = workspaceId
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.enabled = enabled
        self.secret = secret
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether events of `type` go to this endpoint (enabled or not).
    public func subscribes(to type: NotificationEventType) -> Bool {
        eventTypes.isEmpty || eventTypes.contains(type)
    }

    /// Checks a URL a client gave: absolute http(s), with a host, at most `webhookURLLengthMax` bytes.
    public static func validate(url: String) throws(LedgerRefusal) {
        guard url.utf8.count <= Limits.webhookURLLengthMax else {
            throw .invalid("url must be at most \(Limits.webhookURLLengthMax) characters")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty
        else { throw .invalid("url must be an absolute http or https URL") }
        guard components.user == nil, components.password == nil else {
            throw .invalid("url must not contain credentials")
        }
    }

    /// Checks a description a client gave.
    public static func validate(description: String) throws(LedgerRefusal) {
        guard description.count <= Limits.nameLengthMax else {
            throw .invalid("description must be at most \(Limits.nameLengthMax) characters")
        }
    }
}

/// What a client may change on an endpoint; nil leaves a field as it is.
public struct WebhookEndpointUpdate: Hashable, Sendable {
    public var url: String?
    public var description: String?
    public var eventTypes: [NotificationEventType]?
    public var enabled: Bool?

    public init(
        url: String? = nil, description: String? = nil, eventTypes: [NotificationEventType]? = nil,
        enabled: Bool? = nil
    ) {
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.enabled = enabled
    }

    public func validate() throws(LedgerRefusal) {
        if let url { try WebhookEndpoint.validate(url: url) }
        if let description { try WebhookEndpoint.validate(description: description) }
    }

    /// The endpoint with this update applied at `now`.
    public func applied(to endpoint: WebhookEndpoint, now: Date) -> WebhookEndpoint {
        var updated = endpoint
        if let url { updated.url = url }
        if let description { updated.description = description }
        if let eventTypes { updated.eventTypes = eventTypes }
        if let enabled { updated.enabled = enabled }
        updated.updatedAt = now
        return updated
    }
}
