import CreditsCore
import CreditsStore
import Foundation
import Testing

/// The behaviour every store must have. Each test runs on every backend in `Backend.all`.
@Suite("Store conformance")
struct StoreConformanceTests {
    @Test("a grant adds a lot and the balance shows it", arguments: Backend.all)
    func grantAddsLot(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let result = try await fixture.grant(10, expiresInSeconds: 3600, source: .planAllotment)
        let balance = try await fixture.balance()
        #expect(balance.available == 10)
        #expect(balance.held == 0)
        #expect(balance.lots.map(\.lotId) == [result.lot?.id])
        #expect(balance.lots.first?.expiresAt == fixture.clock.now().addingTimeInterval(3600))
        #expect(result.entries.map(\.kind) == [.grant])
        try await fixture.expectClean()
    }

    @Test("spending order: earliest expiry first, then the older lot", arguments: Backend.all)
    func spendingOrder(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let never = try await fixture.grant(1).lot!
        let older = try await fixture.grant(1, expiresInSeconds: 3600).lot!
        fixture.clock.advance(seconds: 1)
        let newer = try await fixture.grant(1, expiresInSeconds: 3599).lot!
        fixture.clock.advance(seconds: 1)
        let soonest = try await fixture.grant(1, expiresInSeconds: 100).lot!
        #expect(older.expiresAt == newer.expiresAt)
        let order = try await (1...4).asyncMap { try await fixture.hold("a\($0)").hold.lotId }
        #expect(order == [soonest.id, older.id, newer.id, never.id])
    }

    @Test("hold, capture and release move credits between available and held", arguments: Backend.all)
    func holdLifecycle(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(3)
        try await fixture.hold("call-1")
        try await fixture.hold("call-2")
        var balance = try await fixture.balance()
        #expect(balance.available == 1 && balance.held == 2)
        let captured = try await fixture.store.capture(workspaceId: fixture.workspace, attemptId: "call-1")
        #expect(captured.hold.state == .captured && !captured.replayed)
        let released = try await fixture.store.release(
            workspaceId: fixture.workspace, attemptId: "call-2", reason: .failed)
        #expect(released.hold.state == .released && released.hold.releaseReason == .failed)
        balance = try await fixture.balance()
        #expect(balance.available == 2 && balance.held == 0)
        try await fixture.expectClean()
    }

    @Test("a released hold returns its credit to the lot it came from", arguments: Backend.all)
    func releaseReturnsToOwnLot(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let first = try await fixture.grant(1, expiresInSeconds: 100).lot!
        let second = try await fixture.grant(5).lot!
        let hold = try await fixture.hold("x").hold
        #expect(hold.lotId == first.id)
        try await fixture.store.release(workspaceId: fixture.workspace, attemptId: "x", reason: .cancelled)
        let lots = try await fixture.balance().lots
        #expect(lots.first { $0.lotId == first.id }?.remaining == 1)
        #expect(lots.first { $0.lotId == second.id }?.remaining == 5)
    }

    @Test("a hold released after its lot expired expires with the lot", arguments: Backend.all)
    func releaseAfterExpiry(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(2, expiresInSeconds: 60)
        try await fixture.hold("x", timeoutSeconds: 3600)
        fixture.clock.advance(seconds: 61)
        #expect(try await fixture.store.expireLots(limit: 10) == 1)
        #expect(try await fixture.balance().held == 1)
        let released = try await fixture.store.release(workspaceId: fixture.workspace, attemptId: "x", reason: .failed)
        #expect(released.hold.state == .released)
        let balance = try await fixture.balance()
        #expect(balance.available == 0 && balance.held == 0)
        let kinds = try await fixture.store.entries(EntryQuery(workspaceId: fixture.workspace, attemptId: "x"))
            .entries.map(\.kind)
        #expect(Set(kinds) == [.hold, .release, .expiry])
        try await fixture.expectClean()
    }

    @Test("a hold captured after its lot expired is still charged", arguments: Backend.all)
    func captureAfterExpiry(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1, expiresInSeconds: 60)
        try await fixture.hold("x", timeoutSeconds: 3600)
        fixture.clock.advance(seconds: 120)
        _ = try await fixture.store.expireLots(limit: 10)
        let captured = try await fixture.store.capture(workspaceId: fixture.workspace, attemptId: "x")
        #expect(captured.hold.state == .captured)
        try await fixture.expectClean()
    }

    @Test("holding more than the wallet has is refused as out_of_credits", arguments: Backend.all)
    func outOfCredits(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        try await fixture.hold("a")
        #expect(await fixture.refusal { try await fixture.hold("b") } == .outOfCredits)
        #expect(try await fixture.store.hold(workspaceId: fixture.workspace, attemptId: "b") == nil)
    }

    @Test("expired and not-yet-effective lots cannot be spent", arguments: Backend.all)
    func onlyLiveLotsSpend(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1, expiresInSeconds: 10)
        try await fixture.store.credit(
            CreditCommand(
                workspaceId: fixture.workspace, walletId: fixture.pool, amount: 1, source: .adjustment,
                effectiveAt: fixture.clock.now().addingTimeInterval(100), reason: "later", idempotencyKey: "later"))
        fixture.clock.advance(seconds: 11)
        #expect(try await fixture.balance().available == 0)
        #expect(await fixture.refusal { try await fixture.hold("a") } == .outOfCredits)
        fixture.clock.advance(seconds: 100)
        #expect(try await fixture.hold("a").hold.state == .held)
    }

    @Test("a repeated credit with the same key returns the first result and changes nothing", arguments: Backend.all)
    func creditReplay(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let first = try await fixture.grant(7, key: "k1")
        fixture.clock.advance(seconds: 5)
        let again = try await fixture.grant(7, key: "k1")
        #expect(again.replayed && !first.replayed)
        #expect(again.lot == first.lot && again.entries == first.entries)
        #expect(try await fixture.balance().available == 7)
    }

    @Test("the same key with different content is an idempotency conflict", arguments: Backend.all)
    func creditConflict(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(7, key: "k1")
        #expect(await fixture.refusal { try await fixture.grant(8, key: "k1") } == .idempotencyConflict)
        #expect(try await fixture.balance().available == 7)
    }

    @Test("a repeated hold for one attempt returns the first hold", arguments: Backend.all)
    func holdReplay(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(5)
        let first = try await fixture.hold("a")
        let again = try await fixture.hold("a")
        #expect(again.replayed && again.hold == first.hold)
        #expect(try await fixture.balance().held == 1)
    }

    @Test("capture and release end a hold exactly once", arguments: Backend.all)
    func holdEndsOnce(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(5)
        try await fixture.hold("a")
        try await fixture.hold("b")
        let store = fixture.store
        let workspace = fixture.workspace
        let first = try await store.capture(workspaceId: workspace, attemptId: "a")
        let again = try await store.capture(workspaceId: workspace, attemptId: "a")
        #expect(again.replayed && again.hold == first.hold)
        #expect(
            await fixture.refusal { try await store.release(workspaceId: workspace, attemptId: "a", reason: .failed) }
                == .holdAlreadyCaptured)
        try await store.release(workspaceId: workspace, attemptId: "b", reason: .failed)
        #expect(try await store.release(workspaceId: workspace, attemptId: "b", reason: .failed).replayed)
        #expect(
            await fixture.refusal { try await store.capture(workspaceId: workspace, attemptId: "b") }
                == .holdAlreadyReleased)
        let balance = try await fixture.balance()
        #expect(balance.available == 4 && balance.held == 0)
        try await fixture.expectClean()
    }

    @Test("events for an unknown attempt are refused", arguments: Backend.all)
    func unknownAttempt(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let store = fixture.store
        let workspace = fixture.workspace
        #expect(
            await fixture.refusal { try await store.capture(workspaceId: workspace, attemptId: "nope") }
                == .unknownAttempt)
        #expect(
            await fixture.refusal {
                try await store.release(workspaceId: workspace, attemptId: "nope", reason: .failed)
            }
                == .unknownAttempt)
    }

    @Test("unknown workspaces and wallets are refused", arguments: Backend.all)
    func unknownWalletOrWorkspace(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let other = try await fixture.another()
        let store = fixture.store
        let hold = { (workspace: String, wallet: String) in
            await fixture.refusal {
                try await store.hold(HoldCommand(workspaceId: workspace, walletId: wallet, attemptId: "a"))
            }
        }
        #expect(await hold("ws_missing", fixture.pool) == .workspaceNotFound)
        #expect(await hold(fixture.workspace, "wal_missing") == .walletNotFound)
        #expect(await hold(fixture.workspace, other.pool) == .walletNotFound)
    }

    @Test("invalid requests are refused before anything is written", arguments: Backend.all)
    func invalidRequests(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        #expect(await fixture.refusal { try await fixture.grant(0) } == .invalidRequest)
        #expect(await fixture.refusal { try await fixture.grant(-1, source: .purchase) } == .invalidRequest)
        #expect(await fixture.refusal { try await fixture.grant(Limits.grantAmountMax + 1) } == .invalidRequest)
        #expect(await fixture.refusal { try await fixture.hold("bad attempt id") } == .invalidRequest)
        #expect(await fixture.refusal { try await fixture.hold("a", timeoutSeconds: 1) } == .invalidRequest)
        #expect(
            await fixture.refusal { try await fixture.grant(1, key: String(repeating: "k", count: 129)) }
                == .invalidRequest)
        let page = EntryQuery(workspaceId: fixture.workspace, limit: Limits.pageSizeMax + 1)
        #expect(await fixture.refusal { try await fixture.store.entries(page) } == .invalidRequest)
        let entries = try await fixture.store.entries(EntryQuery(workspaceId: fixture.workspace))
        #expect(entries.entries.isEmpty)
    }

    @Test("a debiting adjustment takes credits in spending order and never more than available", arguments: Backend.all)
    func debitAdjustment(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let soon = try await fixture.grant(2, expiresInSeconds: 60).lot!
        let never = try await fixture.grant(5).lot!
        #expect(await fixture.refusal { try await fixture.grant(-8) } == .outOfCredits)
        let debit = try await fixture.grant(-3)
        #expect(debit.entries.map(\.lotId) == [soon.id, never.id])
        #expect(debit.entries.map(\.amount) == [-2, -1])
        #expect(try await fixture.balance().available == 4)
        try await fixture.expectClean()
    }

    @Test("expiry removes the unheld remainder of lots past their time", arguments: Backend.all)
    func expiry(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(5, expiresInSeconds: 60)
        try await fixture.grant(2)
        try await fixture.hold("a", timeoutSeconds: 3600)
        #expect(try await fixture.store.expireLots(limit: 10) == 0)
        fixture.clock.advance(seconds: 60)
        #expect(try await fixture.store.expireLots(limit: 10) == 1)
        #expect(try await fixture.store.expireLots(limit: 10) == 0)
        let balance = try await fixture.balance()
        #expect(balance.available == 2 && balance.held == 1)
        try await fixture.expectClean()
    }

    @Test("timed-out holds are released and marked for reconciliation", arguments: Backend.all)
    func holdTimeout(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(2)
        try await fixture.hold("a", timeoutSeconds: 30)
        try await fixture.hold("b", timeoutSeconds: 300)
        fixture.clock.advance(seconds: 31)
        let released = try await fixture.store.releaseTimedOutHolds(limit: 10)
        #expect(released.map(\.attemptId) == ["a"])
        #expect(released.first?.releaseReason == .timeout && released.first?.needsReconciliation == true)
        #expect(try await fixture.store.releaseTimedOutHolds(limit: 10).isEmpty)
        let balance = try await fixture.balance()
        #expect(balance.available == 1 && balance.held == 1)
        try await fixture.expectClean()
    }

    @Test("a late connect after a timeout is charged from what the wallet has", arguments: Backend.all)
    func lateCapture(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        try await fixture.holdAndTimeOut("a")
        let late = try await fixture.store.capture(workspaceId: fixture.workspace, attemptId: "a")
        #expect(late.hold.state == .captured && !late.hold.needsReconciliation)
        #expect(try await fixture.balance().available == 0)
        #expect(try await fixture.store.capture(workspaceId: fixture.workspace, attemptId: "a").replayed)
        try await fixture.expectClean()
    }

    @Test("a late connect with nothing left is recorded as uncollected", arguments: Backend.all)
    func lateCaptureUncollected(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(1)
        try await fixture.holdAndTimeOut("a")
        try await fixture.hold("b")
        let late = try await fixture.store.capture(workspaceId: fixture.workspace, attemptId: "a")
        #expect(late.hold.state == .uncollected)
        let kinds = try await fixture.store.entries(EntryQuery(workspaceId: fixture.workspace, attemptId: "a"))
            .entries.map(\.kind)
        #expect(kinds.contains(.uncollected))
        try await fixture.expectClean()
    }

    @Test("entries are listed newest first, a page at a time, and filter by attempt", arguments: Backend.all)
    func entriesPaging(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(10)
        for index in 1...4 {
            fixture.clock.advance(seconds: 1)
            try await fixture.hold("a\(index)")
        }
        var seen: [LedgerEntry] = []
        var cursor: EntryID?
        repeat {
            let page = try await fixture.store.entries(
                EntryQuery(workspaceId: fixture.workspace, walletId: fixture.pool, limit: 2, before: cursor))
            seen += page.entries
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen.count == 5)
        #expect(seen.map(\.id) == seen.map(\.id).sorted(by: >))
        #expect(seen.last?.kind == .adjustment)
        let forAttempt = try await fixture.store.entries(EntryQuery(workspaceId: fixture.workspace, attemptId: "a3"))
        #expect(forAttempt.entries.map(\.attemptId) == ["a3"])
        let other = try await fixture.another()
        #expect(try await fixture.store.entries(EntryQuery(workspaceId: other.workspace)).entries.isEmpty)
    }

    @Test("500 concurrent holds against 100 credits give exactly 100 holds", arguments: Backend.all)
    func concurrentHolds(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        try await fixture.grant(100)
        let codes = await withTaskGroup(of: RefusalCode?.self) { group in
            for index in 0..<500 {
                group.addTask { await fixture.refusal { try await fixture.hold("c\(index)") } }
            }
            return await group.reduce(into: [RefusalCode?]()) { $0.append($1) }
        }
        #expect(codes.filter { $0 == nil }.count == 100)
        #expect(codes.filter { $0 == .outOfCredits }.count == 400)
        let balance = try await fixture.balance()
        #expect(balance.available == 0 && balance.held == 100)
        try await fixture.expectClean()
    }

    @Test("API keys are found by hash and can be revoked", arguments: Backend.all)
    func apiKeys(backend: Backend) async throws {
        let fixture = try await Fixture.make(backend)
        let (secret, newKey) = APIKeySecret.generate(name: "ci")
        let key = try await fixture.store.createAPIKey(workspaceId: fixture.workspace, newKey)
        #expect(try await fixture.store.apiKey(hash: APIKeySecret.hash(secret)) == key)
        #expect(try await fixture.store.apiKeys(workspaceId: fixture.workspace).count == 2)
        fixture.clock.advance(seconds: 1)
        let revoked = try await fixture.store.revokeAPIKey(workspaceId: fixture.workspace, keyId: key.id)
        #expect(revoked?.revokedAt == fixture.clock.now())
        #expect(try await fixture.store.apiKey(hash: APIKeySecret.hash(secret))?.revokedAt != nil)
        let other = try await fixture.another()
        #expect(try await fixture.store.revokeAPIKey(workspaceId: other.workspace, keyId: key.id) == nil)
    }
}

extension Sequence {
    /// Maps one element after another, awaiting each.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
