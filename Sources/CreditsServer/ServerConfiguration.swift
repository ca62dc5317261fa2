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
    /// The longest the cycle reset scheduler sleeps; it wakes earlier when the next reset falls sooner.
    public var cycleResetIntervalSeconds: Double
    /// Stripe, when purchases are paid through it; nil: the built-in provider confirms every purchase at once.
    public var stripe: StripeConfiguration?

    /// Creates a configuration; every value has a safe default except the admin token, which defaults to off.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, adminToken: String? = nil,
        requestBodyBytesMax: Int = 64 * 1024, holdSweepIntervalSeconds: Double = 5,
        cycleResetIntervalSeconds: Double = 30, stripe: StripeConfiguration? = nil
    ) {
        self.host = host
        self.port = port
        self.adminToken = adminToken
        self.requestBodyBytesMax = requestBodyBytesMax
        self.holdSweepIntervalSeconds = holdSweepIntervalSeconds
        self.cycleResetIntervalSeconds = cycleResetIntervalSeconds
        self.stripe = stripe
    }
}
