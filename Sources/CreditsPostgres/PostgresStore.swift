import CreditsCore
import CreditsStore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The PostgreSQL store: several processes share one database and keep every rule of `Ledger`.
///
/// Each operation opens a transaction, loads and locks the rows it needs, asks `Ledger` what happens and
/// writes the returned `LedgerChange` before committing. Spending is serialised per wallet by locking the
/// wallet row (`SELECT … FOR NO KEY UPDATE`) before its lots are read; a hold's ending is serialised by locking the
/// hold row. Lock order is always wallet → lots (by id) or hold → wallet → lots, so processes do not deadlock.
/// Every transaction touches one workspace only, so the schema can be sharded by workspace (docs/postgres.md).
///
/// The connection pools only work while `run()` runs: add the store to a `ServiceGroup`, or use `withStore`.
public final class PostgresStore: CreditsStore, Service {
    let client: PostgresClient
    /// The group-commit drains' pool (`PostgresStore+LedgerBatch.swift`): its connections start with
    /// `plan_cache_mode = force_generic_plan`, so the batch statements are planned once per connection and no
    /// other statement is; it runs nothing but ledger batches. `PostgresURL.storeConfigurations` splits `pool_size`
    /// between the two.
    let ledgerClient: PostgresClient
    let clock: any CreditsClock
    let ids: any IDSource
    let logger: Logger
    /// Holds, captures and releases waiting for their workspace's next group commit.
    let ledgerQueues = LedgerQueues()

    /// A store for `url` (`postgres://user:password@host:port/database`, optional `?sslmode=disable|prefer|require`
    /// and `pool_size=N`). Nothing connects until `run()` runs.
    public init(
        url: String, clock: any CreditsClock = SystemClock(), ids: any IDSource = TimeOrderedIDs(),
        logger: Logger = Logger(label: "callcredits.postgres")
    ) throws {
        let configurations = try PostgresURL.storeConfigurations(url)
        self.client = PostgresClient(configuration: configurations.store, backgroundLogger: logger)
        self.ledgerClient = PostgresClient(configuration: configurations.ledger, backgroundLogger: logger)
        self.clock = clock
        self.ids = ids
        self.logger = logger
    }

    /// Runs the connection pools until the task is cancelled or the service group shuts down gracefully.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.ledgerClient.run() }
        }
    }

    /// Runs `body` with a store whose connection pool runs for exactly the body's duration.
    /// For tests and one-shot commands (`migrate`, `verify`); a server adds the store to its `ServiceGroup`.
    public static func withStore<T>(
        url: String, clock: any CreditsClock = SystemClock(), ids: any IDSource = TimeOrderedIDs(),
        logger: Logger = Logger(label: "callcredits.postgres"),
        _ body: (PostgresStore) async throws -> T
    ) async throws -> T {
        let store = try PostgresStore(url: url, clock: clock, ids: ids, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            return try await body(store)
        }
    }

    /// The current time, rounded to the millisecond the rows keep, so what an operation returns equals what
    /// later reads (and JSON replays) return.
    func now() -> Date { Date(millis: clock.now().millis) }

    // MARK: Workspaces and keys

    public func createWorkspace(_ new: NewWorkspace) async throws -> CreatedWorkspace {
        try new.validate()
        let now = now()
        let workspace = Workspace(id: ids.next(.workspace), name: new.name, timeZone: new.timeZone, createdAt: now)
        let pool = Wallet(id: ids.next(.wallet), workspaceId: workspace.id, kind: .pool, createdAt: now)
        let owner = Person(
            id: ids.next(.person), workspaceId: workspace.id, email: new.ownerEmail.map(EmailAddress.normalized),
            role: .owner, walletId: nil, joinedAt: now)
        let key = makeKey(workspaceId: workspace.id, new.firstKey, person: owner, now: now)
        try await transaction("createWorkspace", .notIdempotent) { connection in
            try await execute(
                """
                INSERT INTO workspaces (\(unescaped: Columns.workspace))
                VALUES (\(workspace.id), \(workspace.name), \(workspace.timeZone), \(workspace.createdAt.millis))
                """, on: connection)
            try await execute(
                """
                INSERT INTO wallets (\(unescaped: Columns.wallet))
                VALUES (\(pool.workspaceId), \(pool.id), \(pool.kind.rawValue), \(pool.memberId), \
                \(pool.createdAt.millis))
                """, on: connection)
            try await upsert(owner, on: connection)
            try await insert(key, on: connection)
        }
        return CreatedWorkspace(workspace: workspace, pool: pool, key: key, owner: owner)
    }

    public func workspace(id: WorkspaceID) async throws -> Workspace? {
        try await read("workspace") { connection in
            try await rows(
                "SELECT \(unescaped: Columns.workspace) FROM workspaces WHERE workspace_id = \(id)", on: connection
            ).first.map(Workspace.init(row:))
        }
    }

    public func wallets(workspaceId: WorkspaceID) async throws -> [Wallet] {
        try await read("wallets") { connection in
            try await rows(
                "SELECT \(unescaped: Columns.wallet) FROM wallets WHERE workspace_id = \(workspaceId) ORDER BY id",
                on: connection
            ).map(Wallet.init(row:))
        }
    }

    public func createAPIKey(workspaceId: WorkspaceID, _ key: NewAPIKey) async throws -> APIKey {
        try await transaction("createAPIKey", .notIdempotent) { connection in
            guard try await workspaceExists(workspaceId, on: connection) else {
                throw LedgerRefusal(.workspaceNotFound, "no such workspace")
            }
            let person = try await keyHolder(workspaceId, key.personId, on: connection)
            let stored = makeKey(workspaceId: workspaceId, key, person: person, now: now())
            try await insert(stored, on: connection)
            return stored
        }
    }

    /// Looks a key up by hash alone (no workspace known yet): `api_keys_hash_key` is a unique index.
    public func apiKey(hash: String) async throws -> APIKey? {
        try await read("apiKey") { connection in
            try await rows("SELECT \(unescaped: Columns.apiKey) FROM api_keys WHERE hash = \(hash)", on: connection)
                .first.map(APIKey.init(row:))
        }
    }

    public func apiKeys(workspaceId: WorkspaceID) async throws -> [APIKey] {
        try await read("apiKeys") { connection in
            try await rows(
                "SELECT \(unescaped: Columns.apiKey) FROM api_keys WHERE workspace_id = \(workspaceId) ORDER BY id",
                on: connection
            ).map(APIKey.init(row:))
        }
    }

    public func revokeAPIKey(workspaceId: WorkspaceID, keyId: String) async throws -> APIKey? {
        let now = now()
        return try await transaction("revokeAPIKey") { connection in
            try await rows(
                """
                UPDATE api_keys SET revoked_at_ms = COALESCE(revoked_at_ms, \(now.millis))
                WHERE workspace_id = \(workspaceId) AND id = \(keyId)
                RETURNING \(unescaped: Columns.apiKey)
                """, on: connection
            ).first.map(APIKey.init(row:))
        }
    }

    func makeKey(workspaceId: WorkspaceID, _ key: NewAPIKey, person: Person, now: Date) -> APIKey {
        APIKey(
            id: ids.next(.apiKey), workspaceId: workspaceId, name: key.name, prefix: key.prefix, hash: key.hash,
            createdAt: now, personId: person.id, role: person.role)
    }
}
