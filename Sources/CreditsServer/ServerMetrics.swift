import CreditsCore
import Prometheus

/// The app's metrics, registered on a registry the app owns (no global `MetricsSystem.bootstrap`,
/// so tests can build many apps in one process).
public struct ServerMetrics: Sendable {
    /// The registry `/metrics` exports.
    public let registry: PrometheusCollectorRegistry

    /// Creates the metrics on `registry`.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "callcredits", metricName: "http_requests", unitName: "total",
            helpText: "HTTP requests by route template, method and status.")
    }
    private static var requestDuration: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "callcredits", metricName: "http_request_duration", unitName: "seconds",
            helpText: "Time to answer an HTTP request, by route template and method.")
    }
    private static var operations: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "callcredits", metricName: "ledger_operations", unitName: "total",
            helpText: "Ledger operations that succeeded, by operation and whether they were replays.")
    }
    private static var refusals: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "callcredits", metricName: "ledger_refusals", unitName: "total",
            helpText: "Requests the ledger refused, by refusal code.")
    }
    private static var swept: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "callcredits", metricName: "sweeper_items", unitName: "total",
            helpText: "Holds released by their timeout and lots expired by the sweeper.")
    }
    private static var webhookAttempts: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "callcredits", metricName: "webhook_attempts", unitName: "total",
            helpText: "Webhook delivery attempts, by the delivery's status after the attempt.")
    }
    private static var notifications: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "callcredits", metricName: "notifications_emitted", unitName: "total",
            helpText: "Events the wallet alert evaluator emitted, by type.")
    }
    private static var resets: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "callcredits", metricName: "cycle_resets", unitName: "total",
            helpText: "Subscriptions the cycle reset scheduler handled, by outcome.")
    }
    private static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
    ]

    /// Counts one answered request and its duration.
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.requestDuration, labels: [("route", route), ("method", method)],
            buckets: Self.durationBuckets
        ).record(duration)
    }

    /// Counts one successful ledger operation (`hold`, `capture`, `release`, `credit`).
    func recordOperation(_ operation: String, replayed: Bool) {
        registry.makeCounter(
            descriptor: Self.operations, labels: [("operation", operation), ("replayed", String(replayed))]
        ).increment()
    }

    /// Counts one refusal by its code.
    func recordRefusal(_ code: RefusalCode) {
        registry.makeCounter(descriptor: Self.refusals, labels: [("code", code.rawValue)]).increment()
    }

    /// Counts what one sweep did.
    func recordSweep(released: Int, expired: Int) {
        registry.makeCounter(descriptor: Self.swept, labels: [("kind", "hold_released")])
            .increment(by: Int64(released))
        registry.makeCounter(descriptor: Self.swept, labels: [("kind", "lot_expired")])
            .increment(by: Int64(expired))
    }

    /// Counts one webhook delivery attempt by the status it left the delivery in.
    func recordWebhookAttempt(_ status: DeliveryStatus) {
        registry.makeCounter(descriptor: Self.webhookAttempts, labels: [("status", status.rawValue)]).increment()
    }

    /// Counts one event emitted by the wallet alert evaluator.
    func recordNotification(_ type: NotificationEventType) {
        registry.makeCounter(descriptor: Self.notifications, labels: [("type", type.rawValue)]).increment()
    }

    /// Counts what one scheduler run did, by outcome (`reset`, `already_reset`, `withheld_past_due`, `cancelled`,
    /// `not_started`, `failed`).
    func recordResets(_ reports: [CycleResetReport]) {
        var counts: [String: Int64] = [:]
        for report in reports { counts[report.outcome?.rawValue ?? "failed", default: 0] += 1 }
        for (outcome, count) in counts {
            registry.makeCounter(descriptor: Self.resets, labels: [("outcome", outcome)]).increment(by: count)
        }
    }
}
