import Foundation

/// One way the stored rows disagree with what the entries say.
public struct Discrepancy: Hashable, Sendable, Codable, CustomStringConvertible {
    public var subject: String
    public var problem: String

    public init(subject: String, problem: String) {
        self.subject = subject
        self.problem = problem
    }

    public var description: String { "\(subject): \(problem)" }
}

/// Recomputes every lot and hold from the immutable entries and reports what disagrees.
/// Lots and holds are caches of the entries; the entries are the truth.
public enum Verification {
    public static func check(lots: [Lot], holds: [Hold], entries: [LedgerEntry]) -> [Discrepancy] {
        var problems: [Discrepancy] = []
        var remaining: [LotID: Credits] = [:]
        var held: [LotID: Credits] = [:]
        var granted: [LotID: Credits] = [:]
        var byHold: [HoldID: [LedgerEntry]] = [:]
        let lotsById = Dictionary(lots.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for entry in entries {
            if let holdId = entry.holdId { byHold[holdId, default: []].append(entry) }
            guard let lotId = entry.lotId else {
                if entry.kind != .uncollected {
                    problems.append(Discrepancy(subject: "entry \(entry.id)", problem: "has no lot"))
                }
                continue
            }
            guard let lot = lotsById[lotId] else {
                problems.append(Discrepancy(subject: "entry \(entry.id)", problem: "names missing lot \(lotId)"))
                continue
            }
            if lot.walletId != entry.walletId || lot.workspaceId != entry.workspaceId {
                problems.append(Discrepancy(subject: "entry \(entry.id)", problem: "wallet differs from its lot's"))
            }
            let effect = entry.effect
            remaining[lotId, default: .zero] += effect.remaining
            held[lotId, default: .zero] += effect.held
            if entry.kind == .grant || ((entry.kind == .adjustment || entry.kind == .transfer) && entry.amount > .zero)
            {
                granted[lotId, default: .zero] += entry.amount
            }
        }
        for lot in lots.sorted(by: { $0.id < $1.id }) {
            let expectedRemaining = remaining[lot.id] ?? .zero
            let expectedHeld = held[lot.id] ?? .zero
            if lot.remaining != expectedRemaining {
                problems.append(
                    Discrepancy(
                        subject: "lot \(lot.id)",
                        problem: "remaining is \(lot.remaining) but the entries give \(expectedRemaining)"))
            }
            if lot.held != expectedHeld {
                problems.append(
                    Discrepancy(
                        subject: "lot \(lot.id)", problem: "held is \(lot.held) but the entries give \(expectedHeld)"))
            }
            if lot.amount != (granted[lot.id] ?? .zero) {
                problems.append(
                    Discrepancy(
                        subject: "lot \(lot.id)",
                        problem: "amount is \(lot.amount) but the entries grant \(granted[lot.id] ?? .zero)"))
            }
            if lot.remaining < .zero || lot.held < .zero {
                problems.append(Discrepancy(subject: "lot \(lot.id)", problem: "has a negative balance"))
            }
        }
        for hold in holds.sorted(by: { $0.id < $1.id }) {
            let kinds = (byHold[hold.id] ?? []).map(\.kind)
            if let problem = holdProblem(hold, kinds: kinds) {
                problems.append(Discrepancy(subject: "hold \(hold.id) (attempt \(hold.attemptId))", problem: problem))
            }
        }
        return problems
    }

    /// The entry kinds a hold in each state must have, counted (order within one millisecond is not kept).
    private static func holdProblem(_ hold: Hold, kinds: [EntryKind]) -> String? {
        func count(_ kind: EntryKind) -> Int { kinds.filter { $0 == kind }.count }
        let holds = count(.hold)
        let captures = count(.capture)
        let releases = count(.release)
        let uncollected = count(.uncollected)
        let expected: (hold: Int, capture: Int, release: Int, uncollected: Int)
        switch hold.state {
        case .held: expected = (1, 0, 0, 0)
        case .released: expected = (1, 0, 1, 0)
        case .captured: expected = releases == 1 ? (2, 1, 1, 0) : (1, 1, 0, 0)
        case .uncollected: expected = (1, 0, 1, 1)
        }
        let actual = (holds, captures, releases, uncollected)
        guard actual != expected else { return nil }
        return "state \(hold.state.rawValue) but the entries have \(holds) hold, \(captures) capture, "
            + "\(releases) release, \(uncollected) uncollected"
    }
}
