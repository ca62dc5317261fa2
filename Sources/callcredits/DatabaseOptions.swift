import ArgumentParser
import CreditsCore
import CreditsPostgres
import CreditsSQLite
import CreditsStore
import Foundation

/// `--database`: an SQLite file path (the embedded default) or a `postgres://` URL.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "SQLite file path or postgres:// URL (default: $CALLCREDITS_DATABASE, else ./callcredits.sqlite).")
    var database: String?

    /// The flag, else the environment, else the embedded default.
    var resolved: String {
        database ?? ProcessInfo.processInfo.environment["CALLCREDITS_DATABASE"] ?? "./callcredits.sqlite"
    }

    var isPostgres: Bool { resolved.hasPrefix("postgres://") || resolved.hasPrefix("postgresql://") }

    /// Opens the store, migrates it, runs `body`, and closes it.
    func withStore<T>(
        clock: any CreditsClock = SystemClock(), _ body: (any ServiceStore) async throws -> T
    ) async throws -> T {
        if isPostgres {
            return try await PostgresStore.withStore(url: resolved, clock: clock) { store in
                try await store.migrate()
                return try await body(store)
            }
        }
        let store = try SQLiteStore(path: resolved, clock: clock)
        try await store.migrate()
        return try await body(store)
    }
}
