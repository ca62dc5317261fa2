import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

// How ledger values map onto rows. Times are bigint milliseconds since 1970 (UTC), the precision that
// `JSONEncoder.ledger` keeps; credits are bigint counts.

extension Date {
    /// Milliseconds since 1970, rounded (not truncated, so 0.1229999 s × 1000 still gives 123).
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}

/// Column lists, in the order the `init(row:)` decoders below read them.
enum Columns {
    static let workspace = "workspace_id, name, time_zone, created_at_ms"
    static let wallet = "workspace_id, id, kind, member_id, created_at_ms"
    static let lot =
        "workspace_id, id, wallet_id, source, amount, remaining, held, effective_at_ms, expires_at_ms, "
        + "created_at_ms, reference"
    static let hold =
        "workspace_id, id, wallet_id, lot_id, attempt_id, state, created_at_ms, expires_at_ms, ended_at_ms, "
        + "release_reason, needs_reconciliation"
    static let entry =
        "workspace_id, id, wallet_id, lot_id, hold_id, attempt_id, kind, amount, reason, created_at_ms"
    static let apiKey = "workspace_id, id, name, prefix, hash, created_at_ms, revoked_at_ms, person_id, role"
    static let person =
        "workspace_id, id, email, role, wallet_id, status, joined_at_ms, monthly_allotment, removal_at_ms, "
        + "removed_at_ms"
}

/// A stored enum value that no case matches.
func decodeEnum<T: RawRepresentable>(_ raw: String, as type: T.Type) throws(PostgresStoreError) -> T
where T.RawValue == String {
    guard let value = T(rawValue: raw) else { throw PostgresStoreError(.corruptRow, operation: "decode \(T.self)") }
    return value
}

extension Workspace {
    init(row: PostgresRow) throws {
        let (id, name, timeZone, createdAt) = try row.decode((String, String, String, Int64).self)
        self.init(id: id, name: name, timeZone: timeZone, createdAt: Date(millis: createdAt))
    }
}

extension Wallet {
    init(row: PostgresRow) throws {
        let (workspaceId, id, kind, memberId, createdAt) = try row.decode(
            (String, String, String, String?, Int64).self)
        self.init(
            id: id, workspaceId: workspaceId, kind: try decodeEnum(kind, as: WalletKind.self), memberId: memberId,
            createdAt: Date(millis: createdAt))
    }
}

extension Lot {
    init(row: PostgresRow) throws {
        let (workspaceId, id, walletId, source, amount, remaining, held, effectiveAt, expiresAt, createdAt, reference) =
            try row.decode((String, String, String, String, Int64, Int64, Int64, Int64, Int64?, Int64, String?).self)
        self.init(
            id: id, workspaceId: workspaceId, walletId: walletId, source: try decodeEnum(source, as: LotSource.self),
            amount: Credits(amount), remaining: Credits(remaining), held: Credits(held),
            effectiveAt: Date(millis: effectiveAt), expiresAt: expiresAt.map(Date.init(millis:)),
            createdAt: Date(millis: createdAt), reference: reference)
    }
}

extension Hold {
    init(row: PostgresRow) throws {
        let (workspaceId, id, walletId, lotId, attemptId, state, createdAt, expiresAt, endedAt, reason, reconcile) =
            try row.decode((String, String, String, String?, String, String, Int64, Int64, Int64?, String?, Bool).self)
        self.init(
            id: id, workspaceId: workspaceId, walletId: walletId, lotId: lotId, attemptId: attemptId,
            state: try decodeEnum(state, as: HoldState.self), createdAt: Date(millis: createdAt),
            expiresAt: Date(millis: expiresAt), endedAt: endedAt.map(Date.init(millis:)),
            releaseReason: try reason.map { raw throws(PostgresStoreError) in
                try decodeEnum(raw, as: ReleaseReason.self)
            },
            needsReconciliation: reconcile)
    }
}

extension LedgerEntry {
    init(row: PostgresRow) throws {
        let (workspaceId, id, walletId, lotId, holdId, attemptId, kind, amount, reason, createdAt) =
            try row.decode((String, String, String, String?, String?, String?, String, Int64, String, Int64).self)
        self.init(
            id: id, workspaceId: workspaceId, walletId: walletId, lotId: lotId, holdId: holdId, attemptId: attemptId,
            kind: try decodeEnum(kind, as: EntryKind.self), amount: Credits(amount), reason: reason,
            createdAt: Date(millis: createdAt))
    }
}

extension APIKey {
    init(row: PostgresRow) throws {
        let (workspaceId, id, name, prefix, hash, createdAt, revokedAt, personId, role) = try row.decode(
            (String, String, String, String, String, Int64, Int64?, String, String).self)
        self.init(
            id: id, workspaceId: workspaceId, name: name, prefix: prefix, hash: hash,
            createdAt: Date(millis: createdAt), revokedAt: revokedAt.map(Date.init(millis:)), personId: personId,
            role: try decodeEnum(role, as: Role.self))
    }
}

// MARK: Writes

extension PostgresStore {
    /// Writes what `Ledger` decided: new lots first, then the changed lots, the holds and the entries in one
    /// statement (`writeRows`), so an operation that holds a wallet's or a lot's row lock keeps it for one round
    /// trip of writes instead of one per row. The statement changes a row once, so the change is coalesced first
    /// (a change made of several steps may name a lot or a hold more than once).
    func write(_ change: LedgerChange, on connection: PostgresConnection) async throws {
        let change = change.coalesced()
        for lot in change.insertedLots { try await insert(lot, on: connection) }
        let workspaces = Set(
            change.updatedLots.map(\.workspaceId) + change.insertedHolds.map(\.workspaceId)
                + change.updatedHolds.map(\.workspaceId) + change.entries.map(\.workspaceId))
        guard let workspaceId = workspaces.first else { return }
        guard workspaces.count == 1 else { throw PostgresStoreError(.corruptRow, operation: "ledger write") }
        try await writeRows(
            workspaceId: workspaceId, lots: change.updatedLots, insertedHolds: change.insertedHolds,
            updatedHolds: change.updatedHolds, entries: change.entries, on: connection)
    }

    func insert(_ lot: Lot, on connection: PostgresConnection) async throws {
        try await execute(
            """
            INSERT INTO lots (\(unescaped: Columns.lot)) VALUES (\(lot.workspaceId), \(lot.id), \(lot.walletId), \
            \(lot.source.rawValue), \(lot.amount.count), \(lot.remaining.count), \(lot.held.count), \
            \(lot.effectiveAt.millis), \(lot.expiresAt?.millis), \(lot.createdAt.millis), \(lot.reference))
            """, on: connection)
    }

    func insert(_ key: APIKey, on connection: PostgresConnection) async throws {
        try await execute(
            """
            INSERT INTO api_keys (\(unescaped: Columns.apiKey)) VALUES (\(key.workspaceId), \(key.id), \(key.name), \
            \(key.prefix), \(key.hash), \(key.createdAt.millis), \(key.revokedAt?.millis), \(key.personId), \
            \(key.role.rawValue))
            """, on: connection)
    }
}
