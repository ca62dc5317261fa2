import CreditsCore
import CreditsPostgres
import CreditsStore
import Foundation
import Testing

/// Runs every step on the reference `MemoryStore` and on a `PostgresStore` with the same clock and the same
/// id sequence, and expects the same result or the same refusal (code and message) from both.
struct TwinStores {
    let memory: MemoryStore
    let postgres: PostgresStore

    @discardableResult
    func run<T: Equatable>(
        _ step: (any CreditsStore) async throws -> T, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> T? {
        let expected = try await Self.outcome { try await step(memory) }
        let actual = try await Self.outcome { try await step(postgres) }
        #expect(actual == expected, sourceLocation: sourceLocation)
        return try? expected.get()
    }

    /// The result, or the refusal; infrastructure errors fail the test.
    private static func outcome<T>(_ step: () async throws -> T) async throws -> Result<T, LedgerRefusal> {
        do {
            return .success(try await step())
        } catch let refusal as LedgerRefusal {
            return .failure(refusal)
        }
    }
}

@Suite("PostgresStore matches MemoryStore", .enabled(if: PostgresTestDatabase.isConfigured), .serialized)
struct PostgresMatchesMemoryStoreTests {
    @Test("a scripted day of credits, holds, timeouts and expiry gives the same results on both stores")
    func scriptedDay() async throws {
        let clock = ManualClock()
        try await PostgresTestDatabase.with { database in
            try await PostgresStore.withStore(
                url: database.url, clock: clock, ids: SequentialIDs(), logger: PostgresTestDatabase.storeLogger
            ) { postgres in
                try await postgres.migrate()
                let twin = TwinStores(memory: MemoryStore(clock: clock, ids: SequentialIDs()), postgres: postgres)
                try await script(twin, clock: clock)
            }
        }
    }

    private func script(_ twin: TwinStores, clock: ManualClock) async throws {
        let firstKey = NewAPIKey(name: "first", prefix: "cc_abcdef", hash: "hash-first")
        let created = try #require(
            try await twin.run {
                try await $0.createWorkspace(NewWorkspace(name: "Acme", timeZone: "Europe/Berlin", firstKey: firstKey))
            })
        let workspaceId = created.workspace.id
        let pool = created.pool.id
        func credit(_ amount: Credits, _ source: LotSource, key: String, expiresAt: Date? = nil) -> CreditCommand {
            CreditCommand(
                workspaceId: workspaceId, walletId: pool, amount: amount, source: source, expiresAt: expiresAt,
                reason: "", reference: nil, idempotencyKey: key)
        }
        func hold(_ attemptId: String) -> HoldCommand {
            HoldCommand(workspaceId: workspaceId, walletId: pool, attemptId: attemptId, timeoutSeconds: 60)
        }

        // Refusals before anything exists.
        try await twin.run {
            try await $0.createWorkspace(NewWorkspace(name: "", timeZone: "Europe/Berlin", firstKey: firstKey))
        }
        try await twin.run {
            var command = credit(5, .purchase, key: "p1")
            command.workspaceId = "ws_missing"
            return try await $0.credit(command)
        }
        try await twin.run {
            var command = credit(5, .purchase, key: "p1")
            command.walletId = "wal_missing"
            return try await $0.credit(command)
        }
        try await twin.run { try await $0.hold(hold("early")) }

        // Grants, replays, conflicts and debits.
        try await twin.run { try await $0.credit(credit(5, .purchase, key: "p1")) }
        try await twin.run {
            try await $0.credit(
                credit(3, .planAllotment, key: "a1", expiresAt: clock.now().addingTimeInterval(30 * 86_400)))
        }
        try await twin.run { try await $0.credit(credit(5, .purchase, key: "p1")) }
        try await twin.run { try await $0.credit(credit(6, .purchase, key: "p1")) }
        try await twin.run { try await $0.credit(credit(-2, .adjustment, key: "d1")) }
        try await twin.run { try await $0.credit(credit(-100, .adjustment, key: "d2")) }
        try await twin.run { try await $0.credit(credit(-1, .purchase, key: "d3")) }
        try await twin.run { try await $0.balance(workspaceId: workspaceId, walletId: pool) }

        // Holds and their endings.
        clock.advance(seconds: 1)
        for index in 0..<4 { try await twin.run { try await $0.hold(hold("c\(index)")) } }
        try await twin.run { try await $0.hold(hold("c0")) }
        try await twin.run { try await $0.capture(workspaceId: workspaceId, attemptId: "c0") }
        try await twin.run { try await $0.capture(workspaceId: workspaceId, attemptId: "c0") }
        try await twin.run { try await $0.release(workspaceId: workspaceId, attemptId: "c0", reason: .failed) }
        try await twin.run { try await $0.release(workspaceId: workspaceId, attemptId: "c1", reason: .failed) }
        try await twin.run { try await $0.release(workspaceId: workspaceId, attemptId: "c1", reason: .cancelled) }
        try await twin.run { try await $0.capture(workspaceId: workspaceId, attemptId: "c1") }
        try await twin.run { try await $0.capture(workspaceId: workspaceId, attemptId: "nope") }
        try await twin.run { try await $0.capture(workspaceId: "ws_missing", attemptId: "c2") }
        try await twin.run { try await $0.release(workspaceId: workspaceId, attemptId: "bad id!", reason: .failed) }
        try await twin.run { try await $0.hold(workspaceId: workspaceId, attemptId: "c2") }
        try await twin.run { try await $0.hold(workspaceId: workspaceId, attemptId: "nope") }
        for index in 4..<10 { try await twin.run { try await $0.hold(hold("c\(index)")) } }
        try await twin.run { try await $0.balance(workspaceId: workspaceId, walletId: pool) }

        // Timeouts, a late capture that is charged and one that finds nothing left.
        clock.advance(seconds: 120)
        try await twin.run { try await $0.releaseTimedOutHolds(limit: 2) }
        try await twin.run { try await $0.releaseTimedOutHolds(limit: 500) }
        try await twin.run { try await $0.capture(workspaceId: workspaceId, attemptId: "c2") }
        let balance = try #require(
            try await twin.run { try await $0.balance(workspaceId: workspaceId, walletId: pool) })
        if balance.available > .zero {
            try await twin.run { try await $0.credit(credit(-balance.available, .adjustment, key: "drain")) }
        }
        try await twin.run { try await $0.capture(workspaceId: workspaceId, attemptId: "c3") }
        try await twin.run { try await $0.capture(workspaceId: workspaceId, attemptId: "c3") }
        try await twin.run { try await $0.release(workspaceId: workspaceId, attemptId: "c3", reason: .failed) }

        // Expiry.
        try await twin.run { try await $0.credit(credit(4, .planAllotment, key: "a2", expiresAt: clock.now() + 600)) }
        try await twin.run { try await $0.hold(hold("c20")) }
        clock.advance(seconds: 3_600)
        try await twin.run { try await $0.expireLots(limit: 500) }
        try await twin.run { try await $0.expireLots(limit: 500) }
        try await twin.run { try await $0.release(workspaceId: workspaceId, attemptId: "c20", reason: .cancelled) }
        try await twin.run { try await $0.balance(workspaceId: workspaceId, walletId: pool) }

        // Entries, newest first, page by page.
        var cursor: EntryID?
        repeat {
            let page = try #require(
                try await twin.run {
                    try await $0.entries(EntryQuery(workspaceId: workspaceId, limit: 7, before: cursor))
                })
            cursor = page.nextCursor
        } while cursor != nil
        try await twin.run { try await $0.entries(EntryQuery(workspaceId: workspaceId, attemptId: "c2")) }
        try await twin.run { try await $0.entries(EntryQuery(workspaceId: workspaceId, walletId: "wal_missing")) }
        try await twin.run { try await $0.entries(EntryQuery(workspaceId: workspaceId, limit: 0)) }

        // Workspaces, wallets and keys.
        try await twin.run { try await $0.workspace(id: workspaceId) }
        try await twin.run { try await $0.workspace(id: "ws_missing") }
        try await twin.run { try await $0.wallets(workspaceId: workspaceId) }
        let second = NewAPIKey(name: "second", prefix: "cc_bcdefg", hash: "hash-second")
        try await twin.run { try await $0.createAPIKey(workspaceId: "ws_missing", second) }
        let key = try #require(try await twin.run { try await $0.createAPIKey(workspaceId: workspaceId, second) })
        clock.advance(seconds: 5)
        try await twin.run { try await $0.revokeAPIKey(workspaceId: workspaceId, keyId: key.id) }
        clock.advance(seconds: 5)
        try await twin.run { try await $0.revokeAPIKey(workspaceId: workspaceId, keyId: key.id) }
        try await twin.run { try await $0.revokeAPIKey(workspaceId: "ws_missing", keyId: key.id) }
        try await twin.run { try await $0.apiKey(hash: "hash-second") }
        try await twin.run { try await $0.apiKey(hash: "hash-unknown") }
        try await twin.run { try await $0.apiKeys(workspaceId: workspaceId) }

        let problems = try #require(try await twin.run { try await $0.verify() })
        #expect(problems == [])
    }
}
