import Foundation

/// One hold, capture or release, as a group commit queues it.
public enum LedgerOperation: Hashable, Sendable {
    case hold(HoldCommand)
    case capture(AttemptID)
    case release(AttemptID, ReleaseReason)

    public var isHold: Bool {
        if case .hold = self { true } else { false }
    }

    public var attemptId: AttemptID {
        switch self {
        case .hold(let command): command.attemptId
        case .capture(let attemptId), .release(let attemptId, _): attemptId
        }
    }
}

/// Runs several holds, captures and releases of one workspace in order over one in-memory copy of their rows,
/// so a store can lock and read the rows once, decide every operation, and write the sum in one transaction.
///
/// Each operation sees what the ones before it did: lots spent or returned, holds created or ended. A repeat of
/// an attempt inside the batch therefore replays, exactly as it would in the next transaction. A refusal is
/// decided before anything is written and leaves the rows as they were for the next operation.
public struct LedgerBatch: Sendable {
    public let workspaceId: WorkspaceID
    /// The batch's wallets, locked by the store; a hold on a wallet not here is refused.
    private let wallets: [WalletID: Wallet]
    /// Whether the workspace exists (asked only when a wallet is missing): picks the refusal's code.
    private let workspaceExists: Bool
    private var lots: [LotID: Lot]
    private var holds: [AttemptID: Hold]
    /// What changed, in first-change order; each row is written once, in its final state.
    private var changedLots: [LotID] = []
    private var insertedHolds: [AttemptID] = []
    private var changedHolds: [AttemptID] = []
    private var touched: Set<String> = []
    /// The entries of every operation that succeeded, in order.
    public private(set) var entries: [LedgerEntry] = []

    /// `lots` are the wallets' spendable lots and the lots of the held holds; `holds` are the existing holds of
    /// the batch's attempts.
    public init(
        workspaceId: WorkspaceID, wallets: [Wallet], lots: [Lot], holds: [Hold], workspaceExists: Bool = true
    ) {
        self.workspaceId = workspaceId
        self.wallets = Dictionary(wallets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.lots = Dictionary(lots.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.holds = Dictionary(holds.map { ($0.attemptId, $0) }, uniquingKeysWith: { first, _ in first })
        self.workspaceExists = workspaceExists
    }

    /// The wallets whose lots the batch's operations may spend: every hold's wallet and every existing hold's.
    public static func walletIds(_ operations: [LedgerOperation], existing: [Hold]) -> [WalletID] {
        var ids = Set(existing.map(\.walletId))
        for case .hold(let command) in operations { ids.insert(command.walletId) }
        return ids.sorted()
    }

    /// A held hold names a lot that is not there: a broken reference (`verify` reports it). The core would stop
    /// the program; the batch fails that one operation instead.
    public struct MissingLot: Error, Hashable, Sendable {
        public var attemptId: AttemptID
    }

    /// Decides one operation and keeps its effect for the next ones: the result, a `LedgerRefusal` or `MissingLot`.
    public mutating func run(
        _ operation: LedgerOperation, now: Date, ids: some IDSource
    ) -> Result<HoldResult, any Error> {
        if !operation.isHold, let hold = holds[operation.attemptId], hold.state == .held,
            hold.lotId.flatMap({ lots[$0] }) == nil
        {
            return .failure(MissingLot(attemptId: operation.attemptId))
        }
        do throws(LedgerRefusal) {
            let (result, change) = try decide(operation, now: now, ids: ids)
            apply(change)
            return .success(result)
        } catch {
            return .failure(error)
        }
    }

    private func decide(
        _ operation: LedgerOperation, now: Date, ids: some IDSource
    ) throws(LedgerRefusal) -> (HoldResult, LedgerChange) {
        switch operation {
        case .hold(let command):
            precondition(command.workspaceId == workspaceId, "a batch holds one workspace's operations")
            guard let wallet = wallets[command.walletId] else {
                guard workspaceExists else { throw LedgerRefusal(.workspaceNotFound, "no such workspace") }
                throw LedgerRefusal(.walletNotFound, "no wallet \(command.walletId) in this workspace")
            }
            let existing = holds[command.attemptId]
            return try Ledger.hold(
                command, wallet: wallet, existing: existing, lots: existing == nil ? spendable(wallet.id) : [],
                now: now, ids: ids)
        case .capture(let attemptId):
            let hold = try existing(attemptId)
            let lot = hold.state == .held ? hold.lotId.flatMap { lots[$0] } : nil
            let late = hold.state == .released && hold.releaseReason == .timeout
            return try Ledger.capture(hold, lot: lot, lots: late ? spendable(hold.walletId) : [], now: now, ids: ids)
        case .release(let attemptId, let reason):
            let hold = try existing(attemptId)
            let lot = hold.state == .held ? hold.lotId.flatMap { lots[$0] } : nil
            return try Ledger.release(hold, lot: lot, reason: reason, now: now, ids: ids)
        }
    }

    private func existing(_ attemptId: AttemptID) throws(LedgerRefusal) -> Hold {
        guard let hold = holds[attemptId] else {
            throw LedgerRefusal(.unknownAttempt, "no hold for attempt \(attemptId)")
        }
        return hold
    }

    private func spendable(_ walletId: WalletID) -> [Lot] {
        lots.values.filter { $0.walletId == walletId && $0.remaining > .zero }
    }

    private mutating func apply(_ change: LedgerChange) {
        precondition(change.insertedLots.isEmpty, "holds, captures and releases never grant")
        for lot in change.updatedLots {
            lots[lot.id] = lot
            if touched.insert("lot/" + lot.id).inserted { changedLots.append(lot.id) }
        }
        for hold in change.insertedHolds {
            precondition(holds[hold.attemptId] == nil, "a hold is created once per attempt")
            holds[hold.attemptId] = hold
            touched.insert("hold/" + hold.attemptId)
            insertedHolds.append(hold.attemptId)
        }
        for hold in change.updatedHolds {
            holds[hold.attemptId] = hold
            if touched.insert("hold/" + hold.attemptId).inserted { changedHolds.append(hold.attemptId) }
        }
        entries += change.entries
    }

    /// The lots to write, each once in its final state.
    public var lotsToUpdate: [Lot] { changedLots.compactMap { lots[$0] } }
    /// Holds created in the batch, in their final state (a hold created and ended in one batch is inserted ended).
    public var holdsToInsert: [Hold] { insertedHolds.compactMap { holds[$0] } }
    /// Holds that existed before the batch and changed, in their final state.
    public var holdsToUpdate: [Hold] { changedHolds.compactMap { holds[$0] } }
}
