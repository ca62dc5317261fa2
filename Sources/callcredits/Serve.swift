import ArgumentParser
import CreditsServer
import Foundation
import Hummingbird
import Logging

/// `callcredits serve`: the HTTP API and the background services, until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the service (HTTP API on 127.0.0.1, hold sweeper) until SIGINT or SIGTERM.")

    @OptionGroup var options: DatabaseOptions
    @Option(help: "Port on 127.0.0.1 (default: $CALLCREDITS_PORT, else 8080).") var port: Int?
    @Option(help: "Operator bearer token (default: $CALLCREDITS_ADMIN_TOKEN; none turns operator routes off).")
    var adminToken: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var logger = Logger(label: "callcredits")
        logger.logLevel = .info
        let resolvedPort = try port ?? environment["CALLCREDITS_PORT"].map(Self.parsePort) ?? 8080
        let token = adminToken ?? environment["CALLCREDITS_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let token, token.count < 16 {
            throw ValidationError("the admin token must be at least 16 characters")
        }
        var configuration = ServerConfiguration(port: resolvedPort, adminToken: token)
        if let text = environment["CALLCREDITS_CARRIER_SEED"], !text.isEmpty {
            guard let seed = UInt64(text) else {
                throw ValidationError("CALLCREDITS_CARRIER_SEED must be a whole number, not \(text)")
            }
            configuration.carrierSeed = seed
        }
        try await options.withStore { store in
            logger.info(
                "serving",
                metadata: [
                    "address": "http://127.0.0.1:\(resolvedPort)",
                    "database": "\(options.resolved.redactingPassword)",
                    "operatorRoutes": "\(token == nil ? "off (set CALLCREDITS_ADMIN_TOKEN)" : "on")",
                    "telephony": "simulated carrier (no real calls are placed)",
                ])
            let app = buildApplication(configuration: configuration, store: store, logger: logger)
            try await app.runService()
        }
    }

    static func parsePort(_ text: String) throws -> Int {
        guard let value = Int(text), (1...65535).contains(value) else {
            throw ValidationError("CALLCREDITS_PORT must be a port number, not \(text)")
        }
        return value
    }
}
