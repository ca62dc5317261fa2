import ArgumentParser
import CreditsCore
import CreditsServer
import Foundation
import Hummingbird
import Logging

/// `callcredits serve`: the HTTP API and the background services, until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the service (HTTP API on 127.0.0.1, hold sweeper, cycle resets) until SIGINT or SIGTERM.")

    @OptionGroup var options: DatabaseOptions
    @Option(help: "Port on 127.0.0.1 (default: $CALLCREDITS_PORT, else 8080).") var port: Int?
    @Option(help: "Operator bearer token (default: $CALLCREDITS_ADMIN_TOKEN; none turns operator routes off).")
    var adminToken: String?
    @Flag(help: "Create the demo workspace (owner, plan, packages, campaigns) unless it exists; print its sign-in.")
    var demo = false
    @Flag(
        help:
            "Mark the portal's cookies Secure (set when the portal is reached over HTTPS; $CALLCREDITS_SECURE_COOKIES=1)."
    )
    var secureCookies = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var logger = Logger(label: "callcredits")
        logger.logLevel = .info
        let resolvedPort = try port ?? environment["CALLCREDITS_PORT"].map(Self.parsePort) ?? 8080
        let token = adminToken ?? environment["CALLCREDITS_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let token, token.count < 16 {
            throw ValidationError("the admin token must be at least 16 characters")
        }
        let stripe = try Self.stripeConfiguration(environment)
        var configuration = ServerConfiguration(port: resolvedPort, adminToken: token, stripe: stripe)
        if let text = environment["CALLCREDITS_CARRIER_SEED"], !text.isEmpty {
            guard let seed = UInt64(text) else {
                throw ValidationError("CALLCREDITS_CARRIER_SEED must be a whole number, not \(text)")
            }
            configuration.carrierSeed = seed
        }
        if environment["CALLCREDITS_SECURE_COOKIES"] == "1" || secureCookies {
            configuration.portal.secureCookies = true
        }
        if demo {
            // The demo's campaigns run on a clock of their own, three days back, so its store opens with that clock.
            let clock = ManualClock(SystemClock().now())
            let signIns = try await options.withStore(clock: clock) { store in
                try await DemoWorkspace.create(
                    store: store, clock: clock, passwordCost: configuration.portal.passwordCost, logger: logger)
            }
            // Written unbuffered: standard output may be a file or a pipe, read before the server stops.
            var lines = [
                "demo workspace \(signIns.workspaceId) \(signIns.created ? "created" : "exists already"): open "
                    + "http://127.0.0.1:\(resolvedPort)/portal and sign in as"
            ]
            for person in signIns.people { lines.append("  \(person.role): \(person.email) / \(person.password)") }
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        try await options.withStore { store in
            if !demo, try await store.portalCredentialCount() == 0 {
                logger.notice(
                    "the portal has no sign-ins yet: `callcredits serve --demo` makes a demo workspace, and `callcredits workspace portal-password` gives an owner one"
                )
            }
            logger.info(
                "serving",
                metadata: [
                    "address": "http://127.0.0.1:\(resolvedPort)",
                    "database": "\(options.resolved.redactingPassword)",
                    "operatorRoutes": "\(token == nil ? "off (set CALLCREDITS_ADMIN_TOKEN)" : "on")",
                    "payments": "\(stripe == nil ? "built-in (confirms at once)" : "stripe")",
                    "telephony": "simulated carrier (no real calls are placed)",
                    "portal": "http://127.0.0.1:\(resolvedPort)/portal",
                ])
            let app = buildApplication(configuration: configuration, store: store, logger: logger)
            try await app.runService()
        }
    }

    /// Stripe, when `CALLCREDITS_STRIPE_SECRET_KEY` is set: then `CALLCREDITS_STRIPE_WEBHOOK_SECRET`,
    /// `CALLCREDITS_CHECKOUT_SUCCESS_URL` and `CALLCREDITS_CHECKOUT_CANCEL_URL` are required, and
    /// `CALLCREDITS_STRIPE_API_BASE` (default https://api.stripe.com) and `CALLCREDITS_STRIPE_TOLERANCE_SECONDS`
    /// (default 300) are read. Without it, the built-in provider confirms every purchase at once.
    static func stripeConfiguration(_ environment: [String: String]) throws -> StripeConfiguration? {
        guard let secretKey = environment["CALLCREDITS_STRIPE_SECRET_KEY"], !secretKey.isEmpty else { return nil }
        func required(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else {
                throw ValidationError("\(name) is required when CALLCREDITS_STRIPE_SECRET_KEY is set")
            }
            return value
        }
        var tolerance = 300
        if let text = environment["CALLCREDITS_STRIPE_TOLERANCE_SECONDS"] {
            guard let value = Int(text), (1...3_600).contains(value) else {
                throw ValidationError("CALLCREDITS_STRIPE_TOLERANCE_SECONDS must be 1…3600 seconds, not \(text)")
            }
            tolerance = value
        }
        return StripeConfiguration(
            secretKey: secretKey, webhookSecret: try required("CALLCREDITS_STRIPE_WEBHOOK_SECRET"),
            apiBaseURL: environment["CALLCREDITS_STRIPE_API_BASE"].flatMap { $0.isEmpty ? nil : $0 }
                ?? "https://api.stripe.com",
            successURL: try required("CALLCREDITS_CHECKOUT_SUCCESS_URL"),
            cancelURL: try required("CALLCREDITS_CHECKOUT_CANCEL_URL"), toleranceSeconds: tolerance)
    }

    static func parsePort(_ text: String) throws -> Int {
        guard let value = Int(text), (1...65535).contains(value) else {
            throw ValidationError("CALLCREDITS_PORT must be a port number, not \(text)")
        }
        return value
    }
}
