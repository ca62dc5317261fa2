import CreditsCore

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
    /// The Twilio account's auth token, which signs status callbacks (`X-Twilio-Signature`); nil turns the
    /// callback route off (403 `twilio_disabled`).
    public var twilioAuthToken: String?
    /// The URL clients reach this server at (`https://calls.example.com`), without a trailing slash: Twilio
    /// signs the full URL it called, which a server behind a proxy cannot see. nil: `http://` + the Host header.
    public var publicBaseURL: String?
    /// Largest body of `POST /v1/dnc/import` (a CSV of numbers), larger than other bodies.
    public var dncImportBytesMax: Int
    /// Largest recipient CSV upload; larger ones get 413 `payload_too_large`.
    public var recipientUploadBytesMax: Int
    /// How often the campaign runner looks at the campaigns.
    public var campaignTickSeconds: Double
    /// Seed of the built-in simulated carrier (nil: a random one), when no telephony is given.
    public var carrierSeed: UInt64?
    /// How often the wallet alert evaluator looks at dialing and changed wallets.
    public var walletAlertIntervalSeconds: Double
    /// The webhook sender's settings (poll interval, batch, timeout, retries).
    public var webhookSender: WebhookSenderConfiguration
    /// The longest the cycle reset scheduler sleeps; it wakes earlier when the next reset falls sooner.
    public var cycleResetIntervalSeconds: Double
    /// Stripe, when purchases are paid through it; nil: the built-in provider confirms every purchase at once.
    public var stripe: StripeConfiguration?
    /// The portal's cookies, sessions and password hashing.
    public var portal: PortalConfiguration

    /// Creates a configuration; every value has a safe default except the admin token, which defaults to off.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, adminToken: String? = nil,
        requestBodyBytesMax: Int = 64 * 1024, holdSweepIntervalSeconds: Double = 5, twilioAuthToken: String? = nil,
        publicBaseURL: String? = nil, dncImportBytesMax: Int = 16 * 1024 * 1024,
        recipientUploadBytesMax: Int = Limits.csvBytesMax, campaignTickSeconds: Double = 1, carrierSeed: UInt64? = nil,
        walletAlertIntervalSeconds: Double = 10,
        webhookSender: WebhookSenderConfiguration = WebhookSenderConfiguration(),
        cycleResetIntervalSeconds: Double = 30, stripe: StripeConfiguration? = nil,
        portal: PortalConfiguration = PortalConfiguration()
    ) {
        self.host = host
        self.port = port
        self.adminToken = adminToken
        self.requestBodyBytesMax = requestBodyBytesMax
        self.holdSweepIntervalSeconds = holdSweepIntervalSeconds
        self.twilioAuthToken = twilioAuthToken
        self.publicBaseURL = publicBaseURL
        self.dncImportBytesMax = dncImportBytesMax
        self.recipientUploadBytesMax = recipientUploadBytesMax
        self.campaignTickSeconds = campaignTickSeconds
        self.carrierSeed = carrierSeed
        self.walletAlertIntervalSeconds = walletAlertIntervalSeconds
        self.webhookSender = webhookSender
        self.cycleResetIntervalSeconds = cycleResetIntervalSeconds
        self.stripe = stripe
        self.portal = portal
    }
}
