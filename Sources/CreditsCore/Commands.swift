import Foundation

/// Add credits to a wallet (a new lot), or take them away (a debiting adjustment, amount < 0).
public struct CreditCommand: Hashable, Sendable, Codable {
    public var workspaceId: WorkspaceID
    public var walletId: WalletID
    /// Positive: a new lot. Negative: a debit in spending order (source must be `adjustment`).
    public var amount: Credits
    public var source: LotSource
    public var effectiveAt: Date?
    public var expiresAt: Date?
    public var reason: String
    public var reference: String?
    public var idempotencyKey: String

    public init(
        workspaceId: WorkspaceID, walletId: WalletID, amount: Credits, source: LotSource,
        effectiveAt: Date? = nil, expiresAt: Date? = nil, reason: String, reference: String? = nil,
        idempotencyKey: String
    ) {
        self.workspaceId = workspaceId
        self.walletId = walletId
        self.amount = amount
        self.source = source
        self.effectiveAt = effectiveAt
        self.expiresAt = expiresAt
        self.reason = reason
        self.reference = reference
        self.idempotencyKey = idempotencyKey
    }

    /// What a repeat must match to count as the same request (everything but the key itself).
    public var fingerprint: String {
        let parts: [String] = [
            "credit", walletId, String(amount.count), source.rawValue,
            effectiveAt.map { String(Int64($0.timeIntervalSince1970 * 1000)) } ?? "-",
            expiresAt.map { String(Int64($0.timeIntervalSince1970 * 1000)) } ?? "-",
            reason, reference ?? "-",
        ]
        return parts.joined(separator: "\u{1F}")
    }

    /// Checks the limits that do not need any stored data.
    public func validate() throws(LedgerRefusal) {
        try Limits.checkIdentifier(idempotencyKey, field: "idempotency key")
        guard amount != .zero else { throw .invalid("amount must not be zero") }
        guard abs(amount.count) <= Limits.grantAmountMax else {
            throw .invalid("amount must be at most \(Limits.grantAmountMax) credits")
        }
        guard amount > .zero || source == .adjustment else {
            throw .invalid("only an adjustment may take credits away (negative amount)")
        }
        guard reason.count <= Limits.reasonLengthMax else {
            throw .invalid("reason must be at most \(Limits.reasonLengthMax) characters")
        }
        if let reference, reference.count > Limits.identifierLengthMax {
            throw .invalid("reference must be at most \(Limits.identifierLengthMax) characters")
        }
        if let expiresAt, let effectiveAt, expiresAt <= effectiveAt {
            throw .invalid("expiresAt must be after effectiveAt")
        }
    }
}

/// What a credit command did. A repeat with the same key returns the first result with `replayed` set.
public struct CreditResult: Hashable, Sendable, Codable {
    /// The new lot, for a positive amount.
    public var lot: Lot?
    public var entries: [LedgerEntry]
    public var replayed: Bool

    public init(lot: Lot?, entries: [LedgerEntry], replayed: Bool = false) {
        self.lot = lot
        self.entries = entries
        self.replayed = replayed
    }
}

/// Reserve one credit for one call attempt. The attempt id is the idempotency key.
public struct HoldCommand: Hashable, Sendable, Codable {
    public var workspaceId: WorkspaceID
    public var walletId: WalletID
    public var attemptId: AttemptID
    public var timeoutSeconds: Int

    public init(
        workspaceId: WorkspaceID, walletId: WalletID, attemptId: AttemptID,
        timeoutSeconds: Int = Limits.holdTimeoutSecondsDefault
    ) {
        self.workspaceId = workspaceId
        self.walletId = walletId
        self.attemptId = attemptId
        self.timeoutSeconds = timeoutSeconds
    }

    public func validate() throws(LedgerRefusal) {
        try Limits.checkIdentifier(attemptId, field: "attemptId")
        guard (Limits.holdTimeoutSecondsMin...Limits.holdTimeoutSecondsMax).contains(timeoutSeconds) else {
            throw .invalid(
                "timeoutSeconds must be between \(Limits.holdTimeoutSecondsMin) and \(Limits.holdTimeoutSecondsMax)")
        }
    }
}

/// A hold as a client sees it after an operation; `replayed` when the operation had already happened.
public struct HoldResult: Hashable, Sendable, Codable {
    public var hold: Hold
    public var replayed: Bool

    public init(hold: Hold, replayed: Bool) {
        self.hold = hold
        self.replayed = replayed
    }
}

/// The rows a ledger operation writes. Stores apply it inside the transaction that loaded the inputs.
public struct LedgerChange: Hashable, Sendable {
    public var insertedLots: [Lot] = []
    public var updatedLots: [Lot] = []
    public var insertedHolds: [Hold] = []
    public var updatedHolds: [Hold] = []
    public var entries: [LedgerEntry] = []

    public init() {}

    public var isEmpty: Bool {
        insertedLots.isEmpty && updatedLots.isEmpty && insertedHolds.isEmpty && updatedHolds.isEmpty
            && entries.isEmpty
    }

    /// Appends another change made after this one in the same transaction.
    public mutating func append(_ other: LedgerChange) {
        insertedLots += other.insertedLots
        updatedLots += other.updatedLots
        insertedHolds += other.insertedHolds
        updatedHolds += other.updatedHolds
        entries += other.entries
    }

    /// The same change with each lot and hold named once, in its last version, in the order they first appear;
    /// a row inserted and then changed is inserted as it ends up. Entries stay as they are (each is new). For a
    /// store that writes each kind of row in one set-oriented statement, which changes a row once per statement.
    public func coalesced() -> LedgerChange {
        let lotUpdates = Self.lastVersions(updatedLots, key: \.id)
        let holdUpdates = Self.lastVersions(updatedHolds, key: \.attemptId)
        let lastLot = Dictionary(uniqueKeysWithValues: lotUpdates.map { ($0.id, $0) })
        let lastHold = Dictionary(uniqueKeysWithValues: holdUpdates.map { ($0.attemptId, $0) })
        var result = LedgerChange()
        result.insertedLots = Self.lastVersions(insertedLots, key: \.id).map { lastLot[$0.id] ?? $0 }
        result.insertedHolds = Self.lastVersions(insertedHolds, key: \.attemptId).map { lastHold[$0.attemptId] ?? $0 }
        let lotsInserted = Set(result.insertedLots.map(\.id))
        let holdsInserted = Set(result.insertedHolds.map(\.attemptId))
        result.updatedLots = lotUpdates.filter { !lotsInserted.contains($0.id) }
        result.updatedHolds = holdUpdates.filter { !holdsInserted.contains($0.attemptId) }
        result.entries = entries
        return result
    }

    /// Each row once, in its last version, in the order rows first appear.
    private static func lastVersions<Row>(_ rows: [Row], key: (Row) -> String) -> [Row] {
        var position: [String: Int] = [:]
        var last: [Row] = []
        for row in rows {
            if let at = position[key(row)] {
                last[at] = row
            } else {
                position[key(row)] = last.count
                last.append(row)
            }
        }
        return last
    }
}
