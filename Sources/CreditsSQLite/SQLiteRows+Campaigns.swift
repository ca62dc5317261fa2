import CreditsCore
import CreditsStore
import Foundation
import GRDB

/// Campaign and recipient rows. A campaign row carries its pacing without a time zone: reads join the
/// workspace for it, so calling hours always follow the workspace's zone.
enum CampaignRows {
    static let columns = """
        c.id, c.workspace_id, c.wallet_id, c.name, c.status, c.pause_reason, c.credit_cap, c.active_days,
        c.calling_start_minutes, c.calling_end_minutes, c.daily_attempt_limit, c.lines, c.average_call_seconds,
        c.launch_at, c.shortfall_acknowledged, c.recipients, c.active, c.done, c.answered, c.attempts_dialed,
        c.credits_spent, c.dial_day, c.dialed_on_day, c.created_at, c.updated_at, c.started_at, c.ended_at,
        w.time_zone
        """

    static func campaign(_ row: Columns) -> Campaign {
        let pacing = Pacing(
            timeZone: TimeZone(identifier: row.text(27)) ?? TimeZone(identifier: "UTC")!,
            activeDays: Set(mask: Int(row.integer(7))), callingStartMinutes: Int(row.integer(8)),
            callingEndMinutes: Int(row.integer(9)), dailyAttemptLimit: row.optionalInteger(10).map { Int($0) },
            lines: Int(row.integer(11)), averageCallSeconds: Int(row.integer(12)))
        let progress = CampaignProgress(
            recipients: Int(row.integer(15)), active: Int(row.integer(16)), done: Int(row.integer(17)),
            answered: Int(row.integer(18)), attemptsDialed: Int(row.integer(19)),
            creditsSpent: Credits(row.integer(20)), dialDay: row.optionalText(21), dialedOnDay: Int(row.integer(22)))
        return Campaign(
            id: row.text(0), workspaceId: row.text(1), walletId: row.text(2), name: row.text(3),
            status: CampaignStatus(rawValue: row.text(4)) ?? .draft,
            pauseReason: row.optionalText(5).flatMap(CampaignPauseReason.init(rawValue:)),
            creditCap: row.optionalInteger(6).map { Credits($0) }, pacing: pacing,
            launchAt: SQLiteRows.optionalDate(row, 13), shortfallAcknowledged: row.integer(14) != 0,
            progress: progress, createdAt: SQLiteRows.date(row, 23), updatedAt: SQLiteRows.date(row, 24),
            startedAt: SQLiteRows.optionalDate(row, 25), endedAt: SQLiteRows.optionalDate(row, 26))
    }

    private static let byIdSQL = """
        SELECT \(columns) FROM campaigns c JOIN workspaces w ON w.id = c.workspace_id
        WHERE c.id = ? AND c.workspace_id = ?
        """

    static func campaign(_ db: Database, _ workspaceId: WorkspaceID, _ campaignId: CampaignID) throws -> Campaign? {
        try db.firstRow(byIdSQL, [.text(campaignId), .text(workspaceId)], campaign)
    }

    /// The campaign, or `campaign_not_found`.
    static func existing(_ db: Database, _ workspaceId: WorkspaceID, _ campaignId: CampaignID) throws -> Campaign {
        guard let found = try campaign(db, workspaceId, campaignId) else {
            throw CampaignRefusal(.campaignNotFound, "no campaign \(campaignId) in this workspace")
        }
        return found
    }

    /// The mutable columns in `UPDATE … SET` order, then the id.
    private static func mutableValues(_ campaign: Campaign) -> [SQLValue] {
        let pacing = campaign.pacing
        let progress = campaign.progress
        return [
            .text(campaign.name), .text(campaign.status.rawValue), .text(campaign.pauseReason?.rawValue),
            .integer(campaign.creditCap?.count), .integer(Int64(pacing.activeDays.mask)),
            .integer(Int64(pacing.callingStartMinutes)), .integer(Int64(pacing.callingEndMinutes)),
            .integer(pacing.dailyAttemptLimit.map { Int64($0) }), .integer(Int64(pacing.lines)),
            .integer(Int64(pacing.averageCallSeconds)), .integer(campaign.launchAt?.millisecondsSince1970),
            .integer(campaign.shortfallAcknowledged ? 1 : 0), .integer(Int64(progress.recipients)),
            .integer(Int64(progress.active)), .integer(Int64(progress.done)), .integer(Int64(progress.answered)),
            .integer(Int64(progress.attemptsDialed)), .integer(progress.creditsSpent.count), .text(progress.dialDay),
            .integer(Int64(progress.dialedOnDay)), .integer(campaign.updatedAt.millisecondsSince1970),
            .integer(campaign.startedAt?.millisecondsSince1970), .integer(campaign.endedAt?.millisecondsSince1970),
        ]
    }

    private static let mutableColumns = [
        "name", "status", "pause_reason", "credit_cap", "active_days", "calling_start_minutes", "calling_end_minutes",
        "daily_attempt_limit", "lines", "average_call_seconds", "launch_at", "shortfall_acknowledged", "recipients",
        "active", "done", "answered", "attempts_dialed", "credits_spent", "dial_day", "dialed_on_day", "updated_at",
        "started_at", "ended_at",
    ]

    private static let insertSQL = """
        INSERT INTO campaigns (id, workspace_id, wallet_id, created_at, \(mutableColumns.joined(separator: ", ")))
        VALUES (?, ?, ?, ?\(String(repeating: ", ?", count: mutableColumns.count)))
        """

    private static let updateSQL = """
        UPDATE campaigns SET \(mutableColumns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?
        """

    static func insert(_ campaign: Campaign, _ db: Database) throws {
        try RawStatement.execute(
            db.cachedStatement(sql: insertSQL),
            [
                .text(campaign.id), .text(campaign.workspaceId), .text(campaign.walletId),
                .integer(campaign.createdAt.millisecondsSince1970),
            ] + mutableValues(campaign))
    }

    static func update(_ campaign: Campaign, _ db: Database) throws {
        try RawStatement.execute(db.cachedStatement(sql: updateSQL), mutableValues(campaign) + [.text(campaign.id)])
    }

    // MARK: Recipients

    static let recipientColumns =
        "campaign_id, idx, row, first_name, last_name, name, numbers, state, position, outcome, single_call"

    static func recipient(_ row: Columns) -> CampaignRecipient {
        CampaignRecipient(
            campaignId: row.text(0), index: Int(row.integer(1)), row: row.optionalInteger(2).map { Int($0) },
            firstName: row.optionalText(3), lastName: row.optionalText(4), name: row.optionalText(5),
            numbers: numbers(row.text(6)), state: RecipientState(rawValue: row.text(7)) ?? .pending,
            position: Int(row.integer(8)), outcome: row.optionalText(9).flatMap(RecipientOutcome.init(rawValue:)),
            singleCall: row.integer(10) != 0)
    }

    static let insertRecipientSQL = """
        INSERT INTO campaign_recipients (workspace_id, \(recipientColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func values(_ recipient: CampaignRecipient, _ workspaceId: WorkspaceID) -> [SQLValue] {
        [
            .text(workspaceId), .text(recipient.campaignId), .integer(Int64(recipient.index)),
            .integer(recipient.row.map { Int64($0) }), .text(recipient.firstName), .text(recipient.lastName),
            .text(recipient.name), .text(recipient.numbers.joined(separator: ",")), .text(recipient.state.rawValue),
            .integer(Int64(recipient.position)), .text(recipient.outcome?.rawValue),
            .integer(recipient.singleCall ? 1 : 0),
        ]
    }

    /// E.164 numbers never hold a comma, so a list is stored comma-separated.
    static func numbers(_ text: String) -> [String] { text.split(separator: ",").map(String.init) }
}
