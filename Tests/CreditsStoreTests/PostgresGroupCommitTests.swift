import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO
import Synchronization
import Testing

@testable import CreditsPostgres

/// Holds, captures and releases through the PostgreSQL store's group commit, and the lean ledger tables
/// (`0009_lean_ledger`).
@Suite("PostgreSQL group commit", .enabled(if: PostgresTestDatabase.isConfigured), .serialized)
struct PostgresGroupCommitTests {
    /// One migrated store on a fresh database whose pool has `poolSize` connections.
    func withStore(
        poolSize: Int = PostgresTestDatabase.poolSize,
        _ body: (PostgresStore, PostgresTestDatabase) async throws -> Void
    ) async throws {
        try await PostgresTestDatabase.with(poolSize: poolSize) { database in
            try await PostgresStore.withStore(
                url: database.url, clock: ManualClock(), logger: PostgresTestDatabase.storeLogger
            ) { store in
                try await store.migrate()
                try await body(store, database)
            }
        }
    }

    /// The first column of `query`'s first row as an Int64 (nil without rows), read on a connection of `client`.
    func int64(_ query: PostgresQuery, store: PostgresStore, on client: PostgresClient) async throws -> Int64? {
        try await client.withConnection { connection in
            try await store.rows(query, on: connection).first?.decode(Int64.self)
        }
    }

    func code(_ outcome: Result<HoldResult, any Error>) -> RefusalCode? {
        guard case .failure(let error) = outcome else { return nil }
        return (error as? LedgerRefusal)?.code
    }

    @Test("500 concurrent holds on 100 credits through one store: batched, exactly 100 hold")
    func concurrentHoldsInBatches() async throws {
        try await withStore { store, _ in
            let created = try await newWorkspace(store, credits: 100)
            let outcomes = try await withThrowingTaskGroup(of: RaceOutcome.self) { group in
                for index in 0..<500 {
                    group.addTask {
                        try await outcome {
                            try await store.hold(
                                HoldCommand(
                                    workspaceId: created.workspace.id, walletId: created.pool.id,
                                    attemptId: "attempt-\(index)")
                            ).replayed
                        }
                    }
                }
                return try await group.reduce(into: [RaceOutcome: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(outcomes == [.done(replayed: false): 100, .refused(.outOfCredits): 400])
            let statistics = store.ledgerBatchStatistics
            #expect(statistics.operations == 500)
            #expect(statistics.batches < 500, "operations waiting together share a transaction")
            let balance = try await store.balance(workspaceId: created.workspace.id, walletId: created.pool.id)
            #expect(balance.available == 0 && balance.held == 100)
            #expect(try await store.verify() == [])
        }
    }

    @Test("in one batch, repeats replay, refusals stay alone, and each operation sees the ones before it")
    func oneMixedBatch() async throws {
        try await withStore { store, database in
            let created = try await newWorkspace(store, credits: 2)
            let workspace = created.workspace.id
            func hold(_ attempt: String, wallet: String? = nil) -> LedgerOperation {
                .hold(HoldCommand(workspaceId: workspace, walletId: wallet ?? created.pool.id, attemptId: attempt))
            }
            let outcomes = try await store.runLedgerBatch(
                workspace,
                [
                    hold("a"), hold("a"), hold("b"), hold("c"), .capture("a"), .capture("a"), .release("b", .failed),
                    hold("c"), .capture("nobody"), hold("d", wallet: "wal_missing"), .release("c", .cancelled),
                    .release("c", .cancelled), hold("b"),
                ])
            let first = try outcomes[0].get()
            #expect(!first.replayed)
            #expect(try outcomes[1].get() == HoldResult(hold: first.hold, replayed: true))
            #expect(try outcomes[2].get().hold.state == .held)
            #expect(code(outcomes[3]) == .outOfCredits)
            #expect(try outcomes[4].get().hold.state == .captured)
            #expect(try outcomes[5].get().replayed)
            #expect(try outcomes[6].get().hold.state == .released)
            #expect(try outcomes[7].get().hold.state == .held, "b's released credit is spent by c")
            #expect(code(outcomes[8]) == .unknownAttempt)
            #expect(code(outcomes[9]) == .walletNotFound)
            #expect(try outcomes[10].get().hold.releaseReason == .cancelled)
            #expect(try outcomes[11].get().replayed)
            #expect(try outcomes[12].get().replayed, "b's hold exists (released): a repeat replays it")
            for attempt in ["a", "b", "c"] {
                let stored = try await store.hold(workspaceId: workspace, attemptId: attempt)
                #expect(stored != nil)
            }
            #expect(try await store.hold(workspaceId: workspace, attemptId: "a") == (try outcomes[4].get().hold))
            #expect(try await database.scalar("SELECT count(*) FROM holds") == 3)
            let balance = try await store.balance(workspaceId: workspace, walletId: created.pool.id)
            #expect(balance.available == 1 && balance.held == 0)
            #expect(try await store.verify() == [])
        }
    }

    @Test("holds, captures and releases interleaved from 64 callers keep the ledger exact")
    func interleavedLifecycles() async throws {
        try await withStore { store, _ in
            let created = try await newWorkspace(store, credits: 1_000)
            let workspace = created.workspace.id
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<64 {
                    group.addTask {
                        for index in 0..<6 {
                            let attempt = "life-\(caller)-\(index)"
                            let command = HoldCommand(
                                workspaceId: workspace, walletId: created.pool.id, attemptId: attempt)
                            _ = try await store.hold(command)
                            #expect(try await store.hold(command).replayed)
                            if index.isMultiple(of: 2) {
                                _ = try await store.capture(workspaceId: workspace, attemptId: attempt)
                            } else {
                                _ = try await store.release(workspaceId: workspace, attemptId: attempt, reason: .failed)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let balance = try await store.balance(workspaceId: workspace, walletId: created.pool.id)
            #expect(balance.available == Credits(1_000 - 64 * 3) && balance.held == 0)
            #expect(try await store.verify() == [])
        }
    }

    @Test("the batch's statements are prepared once per connection, and again on a new one after it was cut")
    func preparedStatementsSurviveACutConnection() async throws {
        try await withStore(poolSize: 1) { store, database in
            let created = try await newWorkspace(store, credits: 10)
            let workspace = created.workspace.id
            func hold(_ attempt: String) async throws -> HoldResult {
                try await store.hold(HoldCommand(workspaceId: workspace, walletId: created.pool.id, attemptId: attempt))
            }
            // The drains' pool has one connection: the drain's statements are visible to the next query's session.
            func preparedHere() async throws -> Int64? {
                try await int64(
                    "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'callcredits_ledger_batch_%'",
                    store: store, on: store.ledgerClient)
            }
            _ = try await hold("a")
            _ = try await store.capture(workspaceId: workspace, attemptId: "a")
            #expect(try await preparedHere() == 3)
            // One connection of each pool (the drains' and the store's other statements').
            #expect(try await database.terminateConnections() == 2)
            _ = try await hold("b")
            _ = try await store.release(workspaceId: workspace, attemptId: "b", reason: .failed)
            #expect(try await preparedHere() == 3)
            let balance = try await store.balance(workspaceId: workspace, walletId: created.pool.id)
            #expect(balance.available == 9 && balance.held == 0)
            #expect(try await store.verify() == [])
        }
    }

    @Test(
        """
        the batch's statements reach holds by their key even under generic plans made on an empty table, \
        and only the drains' connections plan generically
        """
    )
    func genericPlansReachHoldsByKey() async throws {
        try await withStore(poolSize: 1) { store, _ in
            let logger = PostgresTestDatabase.storeLogger
            // The plans PostgreSQL makes once per connection for these statements on a fresh (empty) database.
            var plans: [String: [String]] = [:]
            try await store.client.withConnection { connection in
                try await connection.query("SET plan_cache_mode = force_generic_plan", logger: logger)
                for (name, sql) in [
                    ("holds_wallets", LockHoldsAndWallets.sql), ("lots", LockLots.sql), ("write", WriteBatch.sql),
                ] {
                    let parameters = Set(sql.matches(of: /\$(\d+)/).map { Int($0.1)! }).count
                    let nulls = Array(repeating: "NULL", count: parameters).joined(separator: ", ")
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "PREPARE plan_check_\(name) AS \(sql)"), logger: logger)
                    var lines: [String] = []
                    for try await line in try await connection.query(
                        PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE plan_check_\(name)(\(nulls))"), logger: logger
                    ).decode(String.self) {
                        lines.append(line)
                    }
                    plans[name] = lines
                }
                try await connection.query("DEALLOCATE ALL", logger: logger)
                try await connection.query("RESET plan_cache_mode", logger: logger)
            }
            for (name, lines) in plans {
                for (index, line) in lines.enumerated() where line.contains(" on holds") && line.contains("Scan") {
                    let condition = lines[(index + 1)...].first { $0.contains("Index Cond:") } ?? ""
                    #expect(
                        line.contains("Index Scan using holds_attempt_key") && condition.contains("attempt_id = "),
                        "\(name): holds must be reached by (workspace, attempt), not by scanning a workspace: \(lines)")
                }
            }
            #expect(plans["write"]?.contains { $0.contains("Conflict Arbiter Indexes: holds_attempt_key") } == true)

            // A batch runs with generic plans (its pool's connections start with them); the store's other
            // connections plan each statement for its parameters, as PostgreSQL does by default.
            let created = try await newWorkspace(store, credits: 2)
            let workspace = created.workspace.id
            _ = try await store.hold(HoldCommand(workspaceId: workspace, walletId: created.pool.id, attemptId: "a"))
            _ = try await store.capture(workspaceId: workspace, attemptId: "a")
            func planCacheMode(_ client: PostgresClient) async throws -> String {
                try await client.withConnection { connection in
                    var mode = ""
                    for try await value in try await connection.query("SHOW plan_cache_mode", logger: logger)
                        .decode(String.self)
                    {
                        mode = value
                    }
                    return mode
                }
            }
            #expect(try await planCacheMode(store.client) == "auto")
            #expect(try await planCacheMode(store.ledgerClient) == "force_generic_plan")
            try await store.ledgerClient.withConnection { connection in
                var plansMade: (generic: Int64, custom: Int64) = (0, 0)
                for try await row in try await connection.query(
                    """
                    SELECT sum(generic_plans)::int8, sum(custom_plans)::int8 FROM pg_prepared_statements
                    WHERE name LIKE 'callcredits_ledger_batch_%'
                    """, logger: logger
                ).decode((Int64, Int64).self) {
                    plansMade = row
                }
                #expect(plansMade.generic > 0 && plansMade.custom == 0, "\(plansMade)")
            }
            #expect(try await store.verify() == [])
        }
    }

    @Test("a batch that waited for its wallet's lock sees the lot the lock's holder added before committing")
    func batchSeesLotsAddedWhileItWaited() async throws {
        try await withStore { store, database in
            let created = try await newWorkspace(store, credits: 1)
            let workspace = created.workspace.id
            let wallet = created.pool.id
            func hold(_ attempt: String) async throws -> HoldResult {
                try await store.hold(HoldCommand(workspaceId: workspace, walletId: wallet, attemptId: attempt))
            }
            _ = try await hold("first")
            try await database.withConnection { connection in
                let logger = PostgresTestDatabase.storeLogger
                try await connection.query("BEGIN", logger: logger)
                try await connection.query(
                    "SELECT 1 FROM wallets WHERE workspace_id = \(workspace) AND id = \(wallet) FOR NO KEY UPDATE",
                    logger: logger)
                let waiting = Task { try await hold("second") }
                var waited = false
                for _ in 0..<200 where !waited {
                    try await Task.sleep(for: .milliseconds(25))
                    waited =
                        try await database.scalar(
                            """
                            SELECT count(*) FROM pg_stat_activity
                            WHERE datname = current_database() AND wait_event_type = 'Lock'
                            """) > 0
                }
                #expect(waited, "the batch should wait for the wallet lock")
                try await connection.query(
                    """
                    INSERT INTO lots (workspace_id, id, wallet_id, source, amount, remaining, held, effective_at_ms,
                                      created_at_ms)
                    VALUES (\(workspace), 'lot_added_meanwhile', \(wallet), 'adjustment', 5, 5, 0, 0, 0)
                    """, logger: logger)
                try await connection.query("COMMIT", logger: logger)
                let second = try await waiting.value
                #expect(second.hold.state == .held)
                #expect(second.hold.lotId == "lot_added_meanwhile")
            }
        }
    }

    @Test("an attempt's dial and its connect each write their ledger rows in one statement on the store's pool")
    func attemptOperationsWriteLedgerRowsInOneStatement() async throws {
        try await withStore(poolSize: 1) { store, _ in
            let created = try await newWorkspace(store, credits: 2)
            let workspace = created.workspace.id
            _ = try await store.createAttempts(
                workspaceId: workspace, [NewAttempt(id: "a1", walletId: created.pool.id, phoneNumber: "+14155550100")])
            // The store's other pool has one connection here, so every single ledger change runs on it.
            func writeExecutions() async throws -> Int64? {
                try await int64(
                    """
                    SELECT coalesce(sum(generic_plans + custom_plans), 0)::int8 FROM pg_prepared_statements
                    WHERE name = 'callcredits_ledger_batch_write'
                    """, store: store, on: store.client)
            }
            let before = try #require(try await writeExecutions())
            let dialed = try await store.startDialing(DialCommand(workspaceId: workspace, attemptId: "a1"))
            #expect(dialed.ledgerAction == .hold)
            let connected = try await store.applyEvent(
                AttemptEventCommand(workspaceId: workspace, attemptId: "a1", eventId: "e1", event: .connected(.person)))
            #expect(connected.ledgerAction == .capture)
            // The lot, the hold and the entry of each went in one execution of the ledger's write statement.
            #expect(try await writeExecutions() == before + 2)
            let balance = try await store.balance(workspaceId: workspace, walletId: created.pool.id)
            #expect(balance.available == 1 && balance.held == 0)
            #expect(try await store.verify() == [])
        }
    }

    @Test("a ledger change that names a lot twice writes the lot once, in its last version")
    func changeNamingALotTwice() async throws {
        try await withStore(poolSize: 1) { store, _ in
            let created = try await newWorkspace(store, credits: 5)
            let workspace = created.workspace.id
            let balance = try await store.balance(workspaceId: workspace, walletId: created.pool.id)
            let lotId = try #require(balance.lots.first?.lotId)
            let lot = try await store.client.withConnection { connection in
                try await store.rows(
                    "SELECT \(unescaped: Columns.lot) FROM lots WHERE id = \(lotId)", on: connection
                ).map(Lot.init(row:))
            }
            var first = try #require(lot.first)
            var last = first
            first.remaining = Credits(4)
            first.held = Credits(1)
            last.remaining = Credits(5)
            last.held = .zero
            var change = LedgerChange()
            change.updatedLots = [first, last]
            try await store.client.withConnection { connection in try await store.write(change, on: connection) }
            let after = try await store.balance(workspaceId: workspace, walletId: created.pool.id)
            #expect(after.available == 5 && after.held == 0)
            #expect(try await store.verify() == [])
        }
    }

    @Test("a prepared statement sent on a closed connection fails as a lost connection instead of waiting forever")
    func preparedStatementOnAClosedConnection() async throws {
        try await withStore { store, _ in
            let outcome = Outcome()
            try await store.client.withConnection { connection in
                try await connection.close()
                var bindings = PostgresBindings()
                bindings.append("wsp_none")
                bindings.append(["att_none"])
                bindings.append(["wal_none"])
                let statement = LockHoldsAndWallets(bindings: bindings)
                Task {
                    do {
                        _ = try await store.prepared(statement, on: connection)
                        outcome.set("succeeded")
                    } catch {
                        outcome.set("\(PostgresStore.classify(error))")
                    }
                }
                for _ in 0..<100 where outcome.value == nil {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(outcome.value == "connectionLost")
        }
    }

    @Test("holds are keyed by attempt: a second row for one attempt cannot exist")
    func holdsKeyedByAttempt() async throws {
        try await withStore { store, database in
            let created = try await newWorkspace(store, credits: 3)
            _ = try await store.hold(
                HoldCommand(workspaceId: created.workspace.id, walletId: created.pool.id, attemptId: "a"))
            await #expect(throws: PSQLError.self) {
                _ = try await database.scalar(
                    """
                    INSERT INTO holds (workspace_id, id, wallet_id, attempt_id, state, created_at_ms, expires_at_ms,
                                       needs_reconciliation)
                    SELECT workspace_id, 'hold_again', wallet_id, attempt_id, 'released', 0, 1, false FROM holds
                    RETURNING 1::bigint
                    """)
            }
        }
    }

    @Test("verify catches an entry and a hold that name rows which do not exist")
    func verifyCatchesDanglingReferences() async throws {
        try await withStore { store, database in
            let created = try await newWorkspace(store, credits: 5)
            _ = try await store.hold(
                HoldCommand(workspaceId: created.workspace.id, walletId: created.pool.id, attemptId: "a"))
            #expect(try await store.verify() == [])
            // Behind the store's back: nothing in the schema refuses these rows any more.
            _ = try await database.scalar(
                """
                INSERT INTO entries (workspace_id, id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason,
                                     created_at_ms)
                SELECT workspace_id, 'entry_forged', wallet_id, lot_id, 'hold_missing', 'z', 'capture', 1, 'forged',
                       created_at_ms
                FROM entries WHERE kind = 'hold' RETURNING 1::bigint
                """)
            _ = try await database.scalar(
                "UPDATE holds SET lot_id = 'lot_missing' WHERE attempt_id = 'a' RETURNING 1::bigint")
            let problems = try await store.verify().map(\.description)
            #expect(
                problems.contains {
                    $0.contains("entry entry_forged") && $0.contains("names missing hold hold_missing")
                })
            #expect(problems.contains { $0.contains("(attempt a)") && $0.contains("names missing lot lot_missing") })
            // The store refuses to end a hold whose lot is gone rather than stopping.
            await #expect(throws: PostgresStoreError.self) {
                _ = try await store.capture(workspaceId: created.workspace.id, attemptId: "a")
            }
        }
    }
}

/// What a task that may never finish reported, read by the test that started it.
final class Outcome: Sendable {
    private let state = Mutex<String?>(nil)
    var value: String? { state.withLock { $0 } }
    func set(_ value: String) { state.withLock { $0 = value } }
}
