import Foundation

/// A wallet's credits at one instant, derived from its lots.
public struct Balance: Hashable, Sendable, Codable {
    /// One lot as the balance shows it.
    public struct LotLine: Hashable, Sendable, Codable {
        public var lotId: LotID
        public var source: LotSource
        public var amount: Credits
        public var remaining: Credits
        public var held: Credits
        public var effectiveAt: Date
        public var expiresAt: Date?
    }

    public var walletId: WalletID
    /// Unexpired, effective remaining credits not held. Never negative.
    public var available: Credits
    /// Credits reserved by open holds.
    public var held: Credits
    /// Lots with remaining or held credit, in spending order (expired lots still holding credits last).
    public var lots: [LotLine]
    public var asOf: Date

    /// Derives the balance of `walletId` from its lots at `now`.
    public init(walletId: WalletID, lots: [Lot], now: Date) {
        let own = lots.filter { $0.walletId == walletId }
        self.walletId = walletId
        self.available = own.filter { $0.isSpendable(at: now) }.sum(\.remaining)
        self.held = own.sum(\.held)
        self.lots =
            own
            .filter { ($0.remaining > .zero && !$0.isExpired(at: now)) || $0.held > .zero }
            .sorted(by: Ledger.spendsBefore)
            .map {
                LotLine(
                    lotId: $0.id, source: $0.source, amount: $0.amount, remaining: $0.remaining, held: $0.held,
                    effectiveAt: $0.effectiveAt, expiresAt: $0.expiresAt)
            }
        self.asOf = now
        precondition(available >= .zero && held >= .zero, "a balance is never negative")
    }
}
