import CreditsCore
import CreditsStore
import Foundation
import GRDB

/// The embedded default store: one SQLite file in WAL mode.
///
/// Durability: no write is acknowledged before the WAL holding it is flushed, so an acknowledged write
/// survives a crash of the process *and* of the machine. Writes go through a `GroupCommitWriter` (one
/// transaction per batch, flushed by its `WALFlusher` beside the writer); reads use WAL snapshots
/// concurrently. Outside the writer's drains the writer connection runs at `synchronous = FULL`.
public final class SQLiteStore: CreditsStore {
    let readPool: DatabasePool
    let groupWriter: GroupCommitWriter
    let clockSource: any CreditsClock
    let idSource: any IDSource
    let walletCache = WalletCache()
    let timeZoneCache = RowCache<TimeZone>()

    /// Opens (creating if needed) the database at `path`. Call `migrate()` before use.
    public init(path: String, clock: any CreditsClock = SystemClock(), ids: any IDSource = TimeOrderedIDs()) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // DatabasePool sets synchronous = NORMAL on its writer after prepareDatabase: set FULL afterwards.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Savepoints (one per operation in a batch) keep their undo data in a statement journal;
            // in memory, it costs no file writes.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        readPool = pool
        // The writer connection's WAL hook hands checkpoints to a thread of their own (`WALCheckpointer`).
        groupWriter = GroupCommitWriter(pool: pool)
        clockSource = clock
        idSource = ids
    }

    /// The writer connection's `synchronous` setting (2 = FULL), read back for tests and `bench`.
    public func synchronousMode() throws -> Int {
        try readPool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// How many write batches were committed and how many operations they held, since opening.
    public var groupCommitStatistics: (batches: Int, operations: Int) { groupWriter.committed }

    /// How many WAL flushes acknowledged those batches (one flush may cover several).
    public var walFlushes: Int { groupWriter.flushes }

    /// Checkpoints since opening (`WALCheckpointer`).
    public var walCheckpoints: WALCheckpointCounts { groupWriter.checkpoints }

    public func migrate() async throws {
        try SQLiteSchema.migrator.migrate(readPool)
    }

    // MARK: Workspaces and keys

    public func createWorkspace(_ new: NewWorkspace) async throws -> CreatedWorkspace {
        try new.validate()
        let now = clockSource.now()
        let workspace = Workspace(id: idSource.next(.workspace), name: new.name, timeZone: new.timeZone, createdAt: now)
        let poolWallet = Wallet(id: idSource.next(.wallet), workspaceId: workspace.id, kind: .pool, createdAt: now)
        let owner = Person(
            id: idSource.next(.person), workspaceId: workspace.id, email: new.ownerEmail.map(EmailAddress.normalized),
            role: .owner, walletId: nil, joinedAt: now)
        let key = makeKey(workspaceId: workspace.id, new.firstKey, person: owner, now: now)
        try await groupWriter.write { db in
            try db.execute(
                sql: "INSERT INTO workspaces (id, name, time_zone, created_at) VALUES (?, ?, ?, ?)",
                arguments: [workspace.id, workspace.name, workspace.timeZone, now.millisecondsSince1970])
            try db.execute(
                sql: "INSERT INTO wallets (id, workspace_id, kind, member_id, created_at) VALUES (?, ?, ?, NULL, ?)",
                arguments: [poolWallet.id, workspace.id, poolWallet.kind.rawValue, now.millisecondsSince1970])
            try SQLiteTeamRows.insert(owner, db)
            try Self.insert(key, db)
        }
        return CreatedWorkspace(workspace: workspace, pool: poolWallet, key: key, owner: owner)
    }

    public func workspace(id: WorkspaceID) async throws -> Workspace? {
        try await readPool.read { db in
            try db.firstRow(
                "SELECT \(SQLiteRows.workspaceColumns) FROM workspaces WHERE id = ?", [.text(id)], SQLiteRows.workspace)
        }
    }

    public func wallets(workspaceId: WorkspaceID) async throws -> [Wallet] {
        try await readPool.read { db in
            try db.rows(
                "SELECT \(SQLiteRows.walletColumns) FROM wallets WHERE workspace_id = ? ORDER BY id",
                [.text(workspaceId)], SQLiteRows.wallet)
        }
    }

    public func createAPIKey(workspaceId: WorkspaceID, _ key: NewAPIKey) async throws -> APIKey {
        let now = clockSource.now()
        return try await groupWriter.write { db in
            guard try db.firstRow("SELECT 1 FROM workspaces WHERE id = ?", [.text(workspaceId)], { _ in true }) != nil
            else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
            let person = try SQLiteTeamRows.keyHolder(db, workspaceId, key.personId)
            let stored = self.makeKey(workspaceId: workspaceId, key, person: person, now: now)
            try Self.insert(stored, db)
            return stored
        }
    }

    public func apiKey(hash: String) async throws -> APIKey? {
        try await readPool.read { db in
            try db.firstRow(
                "SELECT \(SQLiteRows.apiKeyColumns) FROM api_keys WHERE hash = ?", [.text(hash)], SQLiteRows.apiKey)
        }
    }

    public func apiKeys(workspaceId: WorkspaceID) async throws -> [APIKey] {
        try await readPool.read { db in
            try db.rows(
                "SELECT \(SQLiteRows.apiKeyColumns) FROM api_keys WHERE workspace_id = ? ORDER BY id",
                [.text(workspaceId)], SQLiteRows.apiKey)
        }
    }

    public func revokeAPIKey(workspaceId: WorkspaceID, keyId: String) async throws -> APIKey? {
        let now = clockSource.now()
        return try await groupWriter.write { db in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND workspace_id = ? AND revoked_at IS NULL",
                arguments: [now.millisecondsSince1970, keyId, workspaceId])
            return try db.firstRow(
                "SELECT \(SQLiteRows.apiKeyColumns) FROM api_keys WHERE id = ? AND workspace_id = ?",
                [.text(keyId), .text(workspaceId)], SQLiteRows.apiKey)
        }
    }

    func makeKey(workspaceId: WorkspaceID, _ key: NewAPIKey, person: Person, now: Date) -> APIKey {
        APIKey(
            id: idSource.next(.apiKey), workspaceId: workspaceId, name: key.name, prefix: key.prefix, hash: key.hash,
            createdAt: now, personId: person.id, role: person.role)
    }

    static func insert(_ key: APIKey, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO api_keys (id, workspace_id, name, prefix, hash, created_at, person_id, role)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                key.id, key.workspaceId, key.name, key.prefix, key.hash, key.createdAt.millisecondsSince1970,
                key.personId, key.role.rawValue,
            ])
    }
}
