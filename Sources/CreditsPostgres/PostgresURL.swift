import Foundation
import PostgresNIO

/// Reads a `postgres://user:password@host:port/database?sslmode=…&pool_size=…` URL into a client configuration.
enum PostgresURL {
    /// Most pooled connections per store (per process) unless the URL says `pool_size`.
    static let poolSizeDefault = 20
    /// Largest `pool_size` accepted; the server's `max_connections` is shared by every process.
    static let poolSizeMax = 200
    /// Connections the pool keeps open even when idle, and reopens as soon as one closes.
    ///
    /// Not 0, PostgresNIO's default: its pool (1.33.2, `ConnectionPoolModule`) then strands waiting requests. When
    /// a connection closes, `PoolStateMachine.connectionClosed` gets a replacement from
    /// `ConnectionGroup.connectionClosed` only while fewer than `minimumConnections` remain; requests waiting in
    /// the queue do not count. Otherwise a connection is opened only for a new lease request, or (one more) when a
    /// connection that becomes free finds requests still waiting. So once every connection has closed (terminated
    /// by the server, a restart, a network cut) while requests wait, and the operations that held them make no new
    /// request (out of retries, or failed for good), the waiting requests are never served: they wait forever,
    /// with no connection on the server and every thread idle. With one connection kept, closing the last one
    /// opens a new one, which serves the queue and lets the pool grow again. `PostgresPoolTests` checks it;
    /// docs/postgres.md tells how the hang was found.
    static let poolSizeMin = 1

    /// The store's two pools for `url`, sharing its `pool_size`: the ledger's group-commit drains get a quarter (at
    /// least one connection; a drain keeps one per workspace whose queue has work), with generic plans from the
    /// start (`plan_cache_mode = force_generic_plan`, docs/postgres.md); every other statement gets the rest (at
    /// least one).
    static func storeConfigurations(_ url: String) throws(PostgresStoreError) -> (
        store: PostgresClient.Configuration, ledger: PostgresClient.Configuration
    ) {
        var store = try configuration(url)
        var ledger = store
        let poolSize = store.options.maximumConnections
        ledger.options.maximumConnections = max(1, poolSize / 4)
        ledger.options.additionalStartupParameters.append(("plan_cache_mode", "force_generic_plan"))
        store.options.maximumConnections = max(1, poolSize - ledger.options.maximumConnections)
        return (store, ledger)
    }

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
        configuration.options.minimumConnections = poolSizeMin
        return configuration
    }
}
