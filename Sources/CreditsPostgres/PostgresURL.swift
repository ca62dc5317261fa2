import Foundation
import PostgresNIO

/// Reads a `postgres://user:password@host:port/database?sslmode=…&pool_size=…` URL into a client configuration.
enum PostgresURL {
    /// Most pooled connections per store (per process) unless the URL says `pool_size`.
    static let poolSizeDefault = 20
    /// Largest `pool_size` accepted; the server's `max_connections` is shared by every process.
    static let poolSizeMax = 200

    static func configuration(_ url: String) throws(PostgresStoreError) -> PostgresClient.Configuration {
        let invalid = PostgresStoreError(.invalidURL, operation: "configure")
        guard let components = URLComponents(string: url),
            let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased()),
            let host = components.host, !host.isEmpty
        else { throw invalid }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let items = components.queryItems ?? []
        func item(_ name: String) -> String? { items.first { $0.name == name }?.value }

        let tls: PostgresClient.Configuration.TLS
        switch item("sslmode") ?? "prefer" {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw invalid
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: database.isEmpty ? nil : database, tls: tls)
        if let size = item("pool_size") {
            guard let size = Int(size), (1...poolSizeMax).contains(size) else { throw invalid }
            configuration.options.maximumConnections = size
        } else {
            configuration.options.maximumConnections = poolSizeDefault
        }
        return configuration
    }
}
