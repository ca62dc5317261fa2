import CreditsCore
import CreditsPostgres
import CreditsSQLite
import CreditsStore
import Foundation
import Testing

/// The backends every conformance test runs on. PostgreSQL joins when a test server is configured
/// (`CALLCREDITS_TEST_POSTGRES_URL`, set by scripts/test).
enum Backend: String, CaseIterable, CustomTestStringConvertible, CustomStringConvertible, Sendable {
    case memory
    case sqlite
    case postgres

    var testDescription: String { rawValue }
    var description: String { rawValue }

    static var all: [Backend] { allCases.filter { $0 != .postgres || PostgresTestDatabase.isConfigured } }

    /// A fresh, migrated store on this backend with an injected clock and predictable ids.
    func makeStore(clock: ManualClock = ManualClock(), ids: any IDSource = SequentialIDs()) async throws
        -> any ServiceStore
    {
        let store: any ServiceStore
        switch self {
        case .memory:
            return MemoryStore(clock: clock, ids: ids)
        case .sqlite:
            store = try SQLiteStore(path: TemporaryFolder.make().appending("ledger.sqlite"), clock: clock, ids: ids)
        case .postgres:
            let database = try await PostgresTestDatabase.create(poolSize: 4)
            store = RunningPostgresStore(
                try PostgresStore(url: database.url, clock: clock, ids: ids, logger: PostgresTestDatabase.storeLogger),
                url: database.url)
        }
        try await store.migrate()
        return store
    }

    /// A second store on the same data, as a second service instance sees it: on PostgreSQL its own
    /// connection pool on the same database; in memory and on SQLite (one process) the same store.
    func sibling(of store: any ServiceStore, clock: ManualClock) async throws -> any ServiceStore {
        guard let running = store as? RunningPostgresStore, let url = running.url else { return store }
        return RunningPostgresStore(
            try PostgresStore(url: url, clock: clock, ids: TimeOrderedIDs(), logger: PostgresTestDatabase.storeLogger),
            url: url)
    }
}

/// Throwaway folders for test databases, removed by the OS's temporary-file cleanup.
enum TemporaryFolder {
    static func make() -> String {
        let path = NSTemporaryDirectory() + "callcredits-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

extension String {
    /// This path with a component appended.
    func appending(_ component: String) -> String { (self as NSString).appendingPathComponent(component) }
}

/// A workspace with its pool, ready for ledger tests.
struct Fixture {
    let store: any ServiceStore
    let clock: ManualClock
    let workspace: WorkspaceID
    let pool: WalletID

    static func make(_ backend: Backend, clock: ManualClock = ManualClock()) async throws -> Fixture {
        let store = try await backend.makeStore(clock: clock)
        let created = try await store.createWorkspace(
            NewWorkspace(name: "Acme", timeZone: "Europe/Berlin", firstKey: APIKeySecret.generate(name: "first").key))
        return Fixture(store: store, clock: clock, workspace: created.workspace.id, pool: created.pool.id)
    }

    /// A second workspace in the same store.
    func another() async throws -> Fixture {
        let created = try await store.createWorkspace(
            NewWorkspace(name: "Other", timeZone: "UTC", firstKey: APIKeySecret.generate(name: "first").key))
        return Fixture(store: store, clock: clock, workspace: created.workspace.id, pool: created.pool.id)
    }

    /// Grants `amount` credits to the pool, expiring after `expiresInSeconds` when given.
    @discardableResult
    func grant(
        _ amount: Int64, expiresInSeconds: Double? = nil, source: LotSource = .adjustment, key: String? = nil
    ) async throws -> CreditResult {
        try await store.credit(
            CreditCommand(
                workspaceId: workspace, walletId: pool, amount: Credits(amount), source: source,
                expiresAt: expiresInSeconds.map { clock.now().addingTimeInterval($0) }, reason: "test grant",
                idempotencyKey: key ?? "grant-\(UUID().uuidString)"))
    }

    @discardableResult
    func hold(_ attempt: String, timeoutSeconds: Int = 60) async throws -> HoldResult {
        try await store.hold(
            HoldCommand(workspaceId: workspace, walletId: pool, attemptId: attempt, timeoutSeconds: timeoutSeconds))
    }

    /// Holds a credit for `attempt` and lets the sweeper release it by its timeout (needs reconciliation).
    func holdAndTimeOut(_ attempt: String) async throws {
        try await hold(attempt, timeoutSeconds: 30)
        clock.advance(seconds: 31)
        let released = try await store.releaseTimedOutHolds(limit: 10)
        #expect(released.map(\.attemptId).contains(attempt))
    }

    func balance() async throws -> Balance {
        try await store.balance(workspaceId: workspace, walletId: pool)
    }

    /// The refusal code `body` throws, or nil when it succeeds.
    func refusal<T>(_ body: () async throws -> T) async -> RefusalCode? {
        do {
            _ = try await body()
            return nil
        } catch let refusal as LedgerRefusal {
            return refusal.code
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    func expectClean(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let problems = try await store.verify()
        #expect(problems.isEmpty, "verify found: \(problems)", sourceLocation: sourceLocation)
    }
}
