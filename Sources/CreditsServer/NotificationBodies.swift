import CreditsCore
import CreditsStore
import Foundation

// Request and response bodies of the notification routes.

/// `POST /v1/webhook-endpoints` body.
struct CreateWebhookEndpointBody: Decodable {
    var url: String
    var description: String?
    /// Event type names; omitted or empty: every type.
    var eventTypes: [String]?
}

/// `PATCH /v1/webhook-endpoints/{endpointId}` body: only the fields given change.
struct UpdateWebhookEndpointBody: Decodable {
    var url: String?
    var description: String?
    var eventTypes: [String]?
    var enabled: Bool?
}

/// An endpoint as its workspace sees it: the secret only in the response that creates it.
struct WebhookEndpointView: Codable, Equatable {
    var id: String
    var url: String
    var description: String
    var eventTypes: [String]
    var enabled: Bool
    var createdAt: Date
    var updatedAt: Date
    /// `whsec_…`: present only when the endpoint has just been created.
    var secret: String?

    init(_ endpoint: WebhookEndpoint, showingSecret: Bool = false) {
        id = endpoint.id
        url = endpoint.url
        description = endpoint.description
        eventTypes = endpoint.eventTypes.map(\.rawValue)
        enabled = endpoint.enabled
        createdAt = endpoint.createdAt
        updatedAt = endpoint.updatedAt
        secret = showingSecret ? endpoint.secret : nil
    }
}

/// `GET /v1/webhook-endpoints` response.
struct WebhookEndpointList: Codable {
    var webhookEndpoints: [WebhookEndpointView]
}

/// `PUT /v1/notification-settings` body and the settings as shown; a null (or missing) threshold is off.
struct NotificationSettingsView: Codable, Equatable {
    var lowBalanceCredits: Int64?
    var runwayMinutes: Int?

    init(_ settings: NotificationSettings) {
        lowBalanceCredits = settings.lowBalanceCredits?.count
        runwayMinutes = settings.runwayMinutes
    }

    var settings: NotificationSettings {
        NotificationSettings(lowBalanceCredits: lowBalanceCredits.map { Credits($0) }, runwayMinutes: runwayMinutes)
    }

    private enum CodingKeys: String, CodingKey {
        case lowBalanceCredits, runwayMinutes
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lowBalanceCredits, forKey: .lowBalanceCredits)
        try container.encode(runwayMinutes, forKey: .runwayMinutes)
    }
}

/// A wallet's runway as the API shows it; nulls while the wallet does not dial.
struct RunwayView: Codable, Equatable {
    var walletId: String
    var available: Credits
    var held: Credits
    var chargedInWindow: Credits
    /// Credits per hour at the current pace, one decimal.
    var creditsPerHour: Double
    /// Whole minutes until no credit is available at this pace.
    var runwayMinutes: Int?
    var estimatedEmptyAt: Date?
    var windowStart: Date
    var asOf: Date

    init(_ runway: Runway) {
        walletId = runway.walletId
        available = runway.available
        held = runway.held
        chargedInWindow = runway.chargedInWindow
        creditsPerHour = (runway.creditsPerHour * 10).rounded() / 10
        runwayMinutes = runway.runwayMinutes.map { Int($0.rounded(.down)) }
        estimatedEmptyAt = runway.runwayMinutes.map { runway.asOf.addingTimeInterval($0 * 60) }
        windowStart = runway.windowStart
        asOf = runway.asOf
    }

    private enum CodingKeys: String, CodingKey {
        case walletId, available, held, chargedInWindow, creditsPerHour, runwayMinutes, estimatedEmptyAt
        case windowStart, asOf
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(walletId, forKey: .walletId)
        try container.encode(available, forKey: .available)
        try container.encode(held, forKey: .held)
        try container.encode(chargedInWindow, forKey: .chargedInWindow)
        try container.encode(creditsPerHour, forKey: .creditsPerHour)
        try container.encode(runwayMinutes, forKey: .runwayMinutes)
        try container.encode(estimatedEmptyAt, forKey: .estimatedEmptyAt)
        try container.encode(windowStart, forKey: .windowStart)
        try container.encode(asOf, forKey: .asOf)
    }
}

/// `GET /v1/balance` response: the wallet's `Balance` fields plus its `runway`.
struct BalanceWithRunway: Encodable {
    var balance: Balance
    var runway: RunwayView

    private enum CodingKeys: String, CodingKey {
        case runway
    }

    func encode(to encoder: any Encoder) throws {
        try balance.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runway, forKey: .runway)
    }
}
