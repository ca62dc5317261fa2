import CreditsCore
import Foundation
import Testing

/// The pure rules, without any store.
@Suite("Ledger rules")
struct LedgerRulesTests {
    let now = Date(timeIntervalSince1970: 1_767_225_600)
    let ids = SequentialIDs()
    let pool = Wallet(id: "wal_pool", workspaceId: "ws_1", kind: .pool, createdAt: Date(timeIntervalSince1970: 0))
    let member = Wallet(
        id: "wal_member", workspaceId: "ws_1", kind: .member, memberId: "mem_1",
        createdAt: Date(timeIntervalSince1970: 0))

    func lot(_ id: String, remaining: Int64, expiresIn: Double? = nil, createdAgo: Double = 0) -> Lot {
        Lot(
            id: id, workspaceId: "ws_1", walletId: "wal_pool", source: .adjustment, amount: Credits(remaining),
            remaining: Credits(remaining), held: .zero, effectiveAt: now.addingTimeInterval(-createdAgo - 1),
            expiresAt: expiresIn.map { now.addingTimeInterval($0) }, createdAt: now.addingTimeInterval(-createdAgo))
    }

    @Test("a coalesced change names each lot and hold once, in its last version; inserted then changed is inserted")
    func coalescedChange() {
        func hold(_ attempt: String, _ state: HoldState) -> Hold {
            Hold(
                id: "h_\(attempt)", workspaceId: "ws_1", walletId: "wal_pool", lotId: "l1", attemptId: attempt,
                state: state, createdAt: now, expiresAt: now.addingTimeInterval(60))
        }
        var spent = lot("l1", remaining: 5)
        spent.remaining = Credits(4)
        spent.held = Credits(1)
        var returned = spent
        returned.remaining = Credits(5)
        returned.held = .zero
        let granted = lot("l2", remaining: 3)
        var grantedThenSpent = granted
        grantedThenSpent.remaining = Credits(2)
        var change = LedgerChange()
        change.insertedLots = [granted]
        change.updatedLots = [spent, grantedThenSpent, returned]
        change.insertedHolds = [hold("new", .held)]
        change.updatedHolds = [hold("old", .held), hold("new", .captured), hold("old", .released)]
        let coalesced = change.coalesced()
        #expect(coalesced.insertedLots == [grantedThenSpent])
        #expect(coalesced.updatedLots == [returned])
        #expect(coalesced.insertedHolds == [hold("new", .captured)])
        #expect(coalesced.updatedHolds == [hold("old", .released)])
        #expect(coalesced.entries == change.entries)
        // A change that names every row once is left as it is.
        #expect(coalesced.coalesced() == coalesced)
    }

    @Test("the same attempt id from another wallet is an idempotency conflict")
    func attemptFromOtherWallet() throws {
        let command = HoldCommand(workspaceId: "ws_1", walletId: "wal_pool", attemptId: "a")
        let (first, _) = try Ledger.hold(
            command, wallet: pool, existing: nil, lots: [lot("l", remaining: 1)], now: now, ids: ids)
        var other = command
        other.walletId = member.id
        #expect(throws: LedgerRefusal(.idempotencyConflict, "attempt a already holds a credit from another wallet")) {
            try Ledger.hold(other, wallet: member, existing: first.hold, lots: [], now: now, ids: ids)
        }
    }

    @Test("spending order puts the earliest expiry first, then the older lot, never-expiring last")
    func spendingOrder() {
        let lots = [
            lot("never", remaining: 1, createdAgo: 100),
            lot("late", remaining: 1, expiresIn: 200),
            lot("tieNew", remaining: 1, expiresIn: 100, createdAgo: 1),
            lot("tieOld", remaining: 1, expiresIn: 100, createdAgo: 2),
            lot("expired", remaining: 1, expiresIn: -1),
            lot("empty", remaining: 0, expiresIn: 10),
        ]
        #expect(Ledger.spendingOrder(lots, now: now).map(\.id) == ["tieOld", "tieNew", "late", "never"])
    }

    @Test("a hold takes one credit from remaining into held, with one hold entry")
    func holdEffect() throws {
        let (result, change) = try Ledger.hold(
            HoldCommand(workspaceId: "ws_1", walletId: "wal_pool", attemptId: "a", timeoutSeconds: 60), wallet: pool,
            existing: nil, lots: [lot("l", remaining: 2)], now: now, ids: ids)
        #expect(change.updatedLots.map { [$0.remaining, $0.held] } == [[1, 1]])
        #expect(change.entries.map(\.kind) == [.hold])
        #expect(result.hold.expiresAt == now.addingTimeInterval(60))
    }

    @Test("each entry kind has one fixed effect on its lot")
    func entryEffects() {
        func effect(_ kind: EntryKind, _ amount: Credits = 1) -> [Credits] {
            let entry = LedgerEntry(
                id: "e", workspaceId: "w", walletId: "w", lotId: "l", kind: kind, amount: amount, reason: "",
                createdAt: now)
            return [entry.effect.remaining, entry.effect.held]
        }
        #expect(effect(.grant, 5) == [5, 0])
        #expect(effect(.adjustment, -2) == [-2, 0])
        #expect(effect(.hold) == [-1, 1])
        #expect(effect(.capture) == [0, -1])
        #expect(effect(.release) == [1, -1])
        #expect(effect(.expiry, 3) == [-3, 0])
        #expect(effect(.uncollected) == [0, 0])
    }

    @Test("verification finds a lot whose stored balance disagrees with its entries, and a missing entry")
    func verificationFindsDrift() throws {
        let (grant, grantChange) = try Ledger.credit(
            CreditCommand(
                workspaceId: "ws_1", walletId: "wal_pool", amount: 3, source: .adjustment, reason: "r",
                idempotencyKey: "k"), wallet: pool, lots: [], now: now, ids: ids)
        var lot = try #require(grant.lot)
        #expect(Verification.check(lots: [lot], holds: [], entries: grantChange.entries).isEmpty)
        lot.remaining = 2
        #expect(Verification.check(lots: [lot], holds: [], entries: grantChange.entries).count == 1)
        #expect(Verification.check(lots: [grant.lot!], holds: [], entries: []).count == 2)
    }

    @Test("verification finds entries and holds naming rows that do not exist or belong to another wallet")
    func verificationFindsDanglingReferences() throws {
        let lot = lot("l", remaining: 1)
        let (result, change) = try Ledger.hold(
            HoldCommand(workspaceId: "ws_1", walletId: "wal_pool", attemptId: "a"), wallet: pool, existing: nil,
            lots: [lot], now: now, ids: ids)
        let hold = try #require(result.hold)
        let grant = LedgerEntry(
            id: "e_grant", workspaceId: "ws_1", walletId: "wal_pool", lotId: "l", kind: .grant, amount: 1,
            reason: "", createdAt: now)
        var held = lot
        held.remaining = .zero
        held.held = 1
        #expect(Verification.check(lots: [held], holds: [hold], entries: [grant] + change.entries).isEmpty)
        // The hold's row is gone: its entry names a missing hold.
        let withoutHold = Verification.check(lots: [held], holds: [], entries: [grant] + change.entries)
        #expect(withoutHold.map(\.problem) == ["names missing hold \(hold.id)"])
        // The hold names a lot that does not exist, or one of another wallet.
        var dangling = hold
        dangling.lotId = "l_missing"
        #expect(
            Verification.check(lots: [held], holds: [dangling], entries: [grant] + change.entries).map(\.problem)
                == ["names missing lot l_missing"])
        var foreign = hold
        foreign.walletId = member.id
        #expect(
            Verification.check(lots: [held], holds: [foreign], entries: [grant] + change.entries).map(\.problem)
                == ["wallet differs from its lot's"])
    }

    @Test("a credit command refuses zero, oversized amounts and debits that are not adjustments")
    func creditValidation() {
        func code(_ amount: Credits, _ source: LotSource = .adjustment) -> RefusalCode? {
            do {
                try CreditCommand(
                    workspaceId: "w", walletId: "w", amount: amount, source: source, reason: "", idempotencyKey: "k"
                ).validate()
                return nil
            } catch { return error.code }
        }
        #expect(code(0) == .invalidRequest)
        #expect(code(Credits(Limits.grantAmountMax + 1)) == .invalidRequest)
        #expect(code(-1, .purchase) == .invalidRequest)
        #expect(code(-1) == nil)
        #expect(code(5, .planAllotment) == nil)
    }

    @Test("time-ordered ids sort by creation time and carry their kind's prefix")
    func timeOrderedIDs() {
        let clock = ManualClock()
        let ids = TimeOrderedIDs(clock: clock)
        let first = ids.next(.hold)
        clock.advance(seconds: 0.002)
        let second = ids.next(.hold)
        #expect(first.hasPrefix("hold_") && first.count == 31)
        #expect(first < second)
    }

    @Test("the clock keeps whole milliseconds, as every store does")
    func wholeMilliseconds() {
        let clock = ManualClock(Date(timeIntervalSince1970: 1.23456789))
        #expect(clock.now().millisecondsSince1970 == 1234)
        #expect(Date(millisecondsSince1970: clock.now().millisecondsSince1970) == clock.now())
    }
}
