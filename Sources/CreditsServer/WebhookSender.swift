import CreditsCore
import CreditsStore
import CreditsWebhooks
import Foundation
import Logging
import ServiceLifecycle

/// How the webhook sender works; the defaults suit a production service.
public struct WebhookSenderConfiguration: Sendable {
    /// How long the sender waits when it found nothing due.
    public var pollIntervalSeconds: Double
    /// Most deliveries claimed and sent at once.
    public var batchMax: Int
    /// How long one request may take (Standard Webhooks recommends 15–30 s).
    public var requestTimeoutSeconds: Double
    /// How long a claim lasts: longer than a batch can take, so a live sender's claim never lapses.
    public var leaseSeconds: Double
    public var retry: WebhookRetryPolicy

    public init(
        pollIntervalSeconds: Double = 1, batchMax: Int = 32, requestTimeoutSeconds: Double = 15,
        leaseSeconds: Double = 60, retry: WebhookRetryPolicy = WebhookRetryPolicy()
    ) {
        precondition(pollIntervalSeconds > 0 && batchMax > 0 && requestTimeoutSeconds > 0)
        precondition(leaseSeconds > requestTimeoutSeconds, "a claim must outlast the request it covers")
        self.pollIntervalSeconds = pollIntervalSeconds
        self.batchMax = batchMax
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.leaseSeconds = leaseSeconds
        self.retry = retry
    }
}

/// Background service: claims due deliveries from the outbox, signs each as Standard Webhooks says, sends
/// it, and records the attempt (delivered, retried later with backoff, or given up). Several senders may
/// run against one PostgreSQL database: claims keep them off each other's deliveries.
public struct WebhookSender: Service {
    let store: any NotificationStore
    let clock: any CreditsClock
    let configuration: WebhookSenderConfiguration
    let logger: Logger
    let metrics: ServerMetrics?
    /// Makes the transport when the service starts; it is shut down when the service stops.
    let makeTransport: @Sendable () -> any WebhookTransport

    public init(
        store: any NotificationStore, clock: any CreditsClock = SystemClock(),
        configuration: WebhookSenderConfiguration = WebhookSenderConfiguration(), logger: Logger,
        metrics: ServerMetrics? = nil,
        makeTransport: @escaping @Sendable () -> any WebhookTransport = { HTTPClientWebhookTransport() }
    ) {
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.makeTransport = makeTransport
    }

    /// Sends until graceful shutdown: at once while batches come back full, else every poll interval.
    /// A failed round is logged and tried again: nothing is lost, the outbox keeps every delivery.
    public func run() async throws {
        let transport = makeTransport()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var full = false
                do {
                    full = try await sendDue(using: transport).count == configuration.batchMax
                } catch {
                    logger.error("webhook sending failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                if full { continue }
                do {
                    try await Task.sleep(for: .seconds(configuration.pollIntervalSeconds))
                } catch {
                    return
                }
            }
        }
        try? await transport.shutdown()
        logger.debug("webhook sender stopped")
    }

    /// Claims one batch of due deliveries, sends them concurrently and records each attempt; returns the
    /// deliveries as recorded (a delivery whose claim lapsed meanwhile is not among them).
    @discardableResult
    public func sendDue(using transport: any WebhookTransport) async throws -> [WebhookDelivery] {
        let claims = try await store.claimDueDeliveries(
            limit: configuration.batchMax, leaseSeconds: configuration.leaseSeconds)
        guard !claims.isEmpty else { return [] }
        let attempts = await withTaskGroup(of: DeliveryAttempt.self) { group in
            for claim in claims {
                group.addTask { await self.attempt(claim, using: transport) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        var recorded: [WebhookDelivery] = []
        for attempt in attempts {
            guard let delivery = try await store.recordDeliveryAttempt(attempt) else {
                logger.warning(
                    "delivery claim lapsed before its attempt was recorded",
                    metadata: ["delivery": "\(attempt.deliveryId)"])
                continue
            }
            metrics?.recordWebhookAttempt(delivery.status)
            if attempt.decision == .endpointGone {
                logger.warning(
                    "webhook endpoint answered 410 Gone; disabled",
                    metadata: ["workspace": "\(delivery.workspaceId)", "endpoint": "\(delivery.endpointId)"])
            }
            recorded.append(delivery)
        }
        return recorded
    }

    /// Signs and sends one delivery, and decides what the attempt came to.
    func attempt(_ claim: DeliveryClaim, using transport: any WebhookTransport) async -> DeliveryAttempt {
        let delivery = claim.delivery
        let number = delivery.attempts + 1
        let timestamp = Int64(clock.now().timeIntervalSince1970.rounded(.down))
        let body = Array(claim.payload.utf8)
        var statusCode: Int?
        var failure: String?
        if let headers = StandardWebhookSignature.headers(
            secret: claim.secret, id: delivery.eventId, timestamp: timestamp, body: body)
        {
            do {
                statusCode = try await transport.post(
                    url: claim.url, headers: headers, body: body, timeoutSeconds: configuration.requestTimeoutSeconds)
                if let statusCode, !(200..<300).contains(statusCode) { failure = "HTTP \(statusCode)" }
            } catch {
                failure = Self.describe(error)
            }
        } else {
            failure = "the endpoint's secret cannot be read"
        }
        let now = clock.now()
        let decision = configuration.retry.decide(attempt: number, statusCode: statusCode, seed: delivery.id, now: now)
        return DeliveryAttempt(
            workspaceId: delivery.workspaceId, deliveryId: delivery.id, token: claim.token, attemptedAt: now,
            statusCode: statusCode, error: failure, decision: decision)
    }

    /// A short, log-safe description of a transport failure (no response came).
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return "no response: " + (text.isEmpty ? String(reflecting: type(of: error)) : text)
    }
}
