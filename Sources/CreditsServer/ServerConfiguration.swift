/// How the HTTP service listens and what it accepts; the CLI fills it from flags and the environment.
public struct ServerConfiguration: Sendable {
    /// Address to bind, `127.0.0.1` unless the operator opens it up.
    public var host: String
    /// TCP port to listen on.
    public var port: Int
    /// Bearer token for the operator routes; nil turns them off (403 `admin_disabled`).
    public var adminToken: String?
    /// Largest request body accepted; larger bodies get 413 `payload_too_large`.
    public var requestBodyBytesMax: Int
    /// How often the hold sweeper releases timed-out holds and expires lots.
    public var holdSweepIntervalSeconds: Double
    /// How often the wallet alert evaluator looks at dialing and changed wallets.
    public var walletAlertIntervalSeconds: Double
    /// The webhook sender's settings (poll interval, batch, timeout, retries).
    public var webhookSender: WebhookSenderConfiguration
    /// The longest the cycle reset scheduler sleeps; it wakes earlier when the next reset falls sooner.
    public var cycleResetIntervalSeconds: Double
    /// Stripe, when purchases are paid through it; nil: the built-in provider confirms every purchase at once.
    public var stripe: StripeConfiguration?

    /// Creates a configuration; every value has a safe default except the admin token, which defaults to off.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, adminToken: String? = nil,
        requestBodyBytesMax: Int = 64 * 1024, holdSweepIntervalSeconds: Double = 5,
        walletAlertIntervalSeconds: Double = 10,
        webhookSender: WebhookSenderConfiguration = WebhookSenderConfiguration(),
        cycleResetIntervalSeconds: Double = 30, stripe: StripeConfiguration? = nil
    ) {
        self.host = host
        self.port = port
        self.adminToken = adminToken
        self.requestBodyBytesMax = requestBodyBytesMax
        self.holdSweepIntervalSeconds = holdSweepIntervalSeconds
        self.walletAlertIntervalSeconds = walletAlertIntervalSeconds
        self.webhookSender = webhookSender
        self.cycleResetIntervalSeconds = cycleResetIntervalSeconds
        self.stripe = stripe
    }
}
