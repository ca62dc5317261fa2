import CreditsCore
import Foundation
import Testing

/// Several operations decided in order over one copy of the rows, as a group commit runs them.
@Suite("Ledger batch")
struct LedgerBatchTests {
    let now = Date(timeIntervalSince1970: 1_767_225_600)
    let ids = SequentialIDs()
    let pool = Wallet(id: "wal_pool", workspaceId: "ws_1", kind: .pool, createdAt: Date(timeIntervalSince1970: 0))

    func lot(_ id: String, remaining: Int64) -> Lot {
        Lot(
            id: id, workspaceId: "ws_1", walletId: "wal_pool", source: .adjustment, amount: Credits(remaining),
            remaining: Credits(remaining), held: .zero, effectiveAt: now.addingTimeInterval(-10), expiresAt: nil,
            createdAt: now.addingTimeInterval(-10))
    }

    func hold(_ attempt: String, wallet: String = "wal_pool") -> LedgerOperation {
        .hold(HoldCommand(workspaceId: "ws_1", walletId: wallet, attemptId: attempt))
    }

    func code(_ outcome: Result<HoldResult, any Error>) -> RefusalCode? {
        guard case .failure(let error) = outcome else { return nil }
        return (error as? LedgerRefusal)?.code
    }

    @Test("a repeat of an attempt inside the batch replays the hold the batch created")
    func repeatReplays() throws {
        var batch = LedgerBatch(workspaceId: "ws_1", wallets: [pool], lots: [lot("l", remaining: 5)], holds: [])
        let first = try batch.run(hold("a"), now: now, ids: ids).get()
        let again = try batch.run(hold("a"), now: now, ids: ids).get()
        #expect(!first.replayed && again.replayed)
        #expect(again.hold == first.hold)
        #expect(batch.holdsToInsert.map(\.attemptId) == ["a"])
        #expect(batch.lotsToUpdate.map(\.remaining) == [4])
        #expect(batch.entries.count == 1)
    }

    @Test("each operation sees the ones before it: a released credit is spent again in the same batch")
    func operationsSeeEachOther() throws {
        var batch = LedgerBatch(workspaceId: "ws_1", wallets: [pool], lots: [lot("l", remaining: 1)], holds: [])
        _ = try batch.run(hold("a"), now: now, ids: ids).get()
        #expect(code(batch.run(hold("b"), now: now, ids: ids)) == .outOfCredits)
        _ = try batch.run(.release("a", .failed), now: now, ids: ids).get()
        let b = try batch.run(hold("b"), now: now, ids: ids).get()
        #expect(b.hold.state == .held)
        let captured = try batch.run(.capture("b"), now: now, ids: ids).get()
        #expect(captured.hold.state == .captured)
        #expect(code(batch.run(.capture("a"), now: now, ids: ids)) == .holdAlreadyReleased)
        // Each row once, in its final state.
        #expect(batch.lotsToUpdate.map { [$0.remaining, $0.held] } == [[.zero, .zero]])
        #expect(batch.holdsToInsert.map(\.state) == [.released, .captured])
        #expect(batch.holdsToUpdate.isEmpty)
        #expect(batch.entries.map(\.kind) == [.hold, .release, .hold, .capture])
    }

    @Test("refusals change nothing and do not stop the others")
    func refusalsStayAlone() throws {
        let existing = Hold(
            id: "h_old", workspaceId: "ws_1", walletId: "wal_pool", lotId: "l", attemptId: "old", state: .held,
            createdAt: now, expiresAt: now.addingTimeInterval(60))
        var held = lot("l", remaining: 2)
        held.remaining = 1
        held.held = 1
        var batch = LedgerBatch(workspaceId: "ws_1", wallets: [pool], lots: [held], holds: [existing])
        #expect(code(batch.run(hold("x", wallet: "wal_missing"), now: now, ids: ids)) == .walletNotFound)
        #expect(code(batch.run(.capture("nobody"), now: now, ids: ids)) == .unknownAttempt)
        let released = try batch.run(.release("old", .cancelled), now: now, ids: ids).get()
        #expect(released.hold.state == .released)
        #expect(code(batch.run(.capture("old"), now: now, ids: ids)) == .holdAlreadyReleased)
        #expect(batch.holdsToUpdate.map(\.attemptId) == ["old"])
        #expect(batch.holdsToInsert.isEmpty)
        #expect(batch.lotsToUpdate.map(\.remaining) == [2])
    }

    @Test("a held hold whose lot is missing fails alone instead of stopping the program")
    func missingLotFailsAlone() throws {
        let orphan = Hold(
            id: "h", workspaceId: "ws_1", walletId: "wal_pool", lotId: "gone", attemptId: "a", state: .held,
            createdAt: now, expiresAt: now.addingTimeInterval(60))
        var batch = LedgerBatch(workspaceId: "ws_1", wallets: [pool], lots: [lot("l", remaining: 1)], holds: [orphan])
        guard case .failure(let error) = batch.run(.capture("a"), now: now, ids: ids) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error is LedgerBatch.MissingLot)
        #expect(try batch.run(hold("b"), now: now, ids: ids).get().hold.state == .held)
    }
}
