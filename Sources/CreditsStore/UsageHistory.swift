import CreditsCore

/// A usage history written straight into a store's rollup tables, for `callcredits bench usage`: the rows the store
/// itself would have added (`usage_rollup` by `UsageRollupRow.increment`, `usage_positions` by
/// `AttemptStep.positionIncrement`) had the attempts ended through it, already summed, plus the member wallets they
/// were charged to. The attempts themselves are not written: the usage breakdown never reads them.
///
/// Not a service capability (no API reaches it, the memory store has none): only the bench loads histories.
public struct UsageHistory: Sendable {
    public struct PositionRow: Hashable, Sendable {
        public var day: CalendarDay
        public var position: Int
        public var outcome: CallOutcome
        public var attempts: Int64

        public init(day: CalendarDay, position: Int, outcome: CallOutcome, attempts: Int64) {
            self.day = day
            self.position = position
            self.outcome = outcome
            self.attempts = attempts
        }
    }

    public var workspaceId: WorkspaceID
    /// Member wallets to create first (the pool exists with the workspace).
    public var memberWallets: [Wallet]
    /// Rollup rows, one per (day, wallet, campaign, outcome); each key at most once.
    public var rollup: [UsageRollupRow]
    /// Position rows, one per (day, position, outcome); each key at most once.
    public var positions: [PositionRow]

    public init(workspaceId: WorkspaceID, memberWallets: [Wallet], rollup: [UsageRollupRow], positions: [PositionRow]) {
        self.workspaceId = workspaceId
        self.memberWallets = memberWallets
        self.rollup = rollup
        self.positions = positions
    }
}
