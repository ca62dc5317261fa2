import CreditsCore
import CreditsStore
import Foundation
import PostgresNIO

/// How campaigns and recipients map onto rows. A campaign row carries its pacing without a time zone: reads
/// join the workspace for it.
enum CampaignColumns {
    static let mutable = """
        name, status, pause_reason, credit_cap, active_days, calling_start_minutes, calling_end_minutes, \
        daily_attempt_limit, lines, average_call_seconds, launch_at_ms, shortfall_acknowledged, recipients, active, \
        done, answered, attempts_dialed, credits_spent, dial_day, dialed_on_day, updated_at_ms, started_at_ms, \
        ended_at_ms
        """

    static let select = """
        c.workspace_id, c.id, c.wallet_id, c.created_at_ms, c.name, c.status, c.pause_reason, c.credit_cap, \
        c.active_days, c.calling_start_minutes, c.calling_end_minutes, c.daily_attempt_limit, c.lines, \
        c.average_call_seconds, c.launch_at_ms, c.shortfall_acknowledged, c.recipients, c.active, c.done, \
        c.answered, c.attempts_dialed, c.credits_spent, c.dial_day, c.dialed_on_day, c.updated_at_ms, \
        c.started_at_ms, c.ended_at_ms, w.time_zone
        """

    /// The mutable columns' values, named so an INSERT and an UPDATE bind the same ones.
    struct Values {
        var name: String
        var status: String
        var pauseReason: String?
        var creditCap: Int64?
        var activeDays: Int
        var callingStart: Int
        var callingEnd: Int
        var dailyLimit: Int?
        var lines: Int
        var averageCall: Int
        var launchAt: Int64?
        var acknowledged: Bool
        var recipients: Int
        var active: Int
        var done: Int
        var answered: Int
        var attemptsDialed: Int
        var creditsSpent: Int64
        var dialDay: String?
        var dialedOnDay: Int
        var updatedAt: Int64
        var startedAt: Int64?
        var endedAt: Int64?
    }

    static func values(_ campaign: Campaign) -> Values {
        let pacing = campaign.pacing
        let progress = campaign.progress
        return Values(
            name: campaign.name, status: campaign.status.rawValue, pauseReason: campaign.pauseReason?.rawValue,
            creditCap: campaign.creditCap?.count, activeDays: pacing.activeDays.mask,
            callingStart: pacing.callingStartMinutes, callingEnd: pacing.callingEndMinutes,
            dailyLimit: pacing.dailyAttemptLimit, lines: pacing.lines, averageCall: pacing.averageCallSeconds,
            launchAt: campaign.launchAt?.millis, acknowledged: campaign.shortfallAcknowledged,
            recipients: progress.recipients, active: progress.active, done: progress.done,
            answered: progress.answered, attemptsDialed: progress.attemptsDialed,
            creditsSpent: progress.creditsSpent.count, dialDay: progress.dialDay, dialedOnDay: progress.dialedOnDay,
            updatedAt: campaign.updatedAt.millis, startedAt: campaign.startedAt?.millis,
            endedAt: campaign.endedAt?.millis)
    }

    static func campaign(_ row: PostgresRow) throws -> Campaign {
        let cells = row.makeRandomAccess()
        func text(_ index: Int) throws -> String { try cells[index].decode(String.self) }
        func optionalText(_ index: Int) throws -> String? { try cells[index].decode(String?.self) }
        func int(_ index: Int) throws -> Int { try cells[index].decode(Int.self) }
        func optionalInt(_ index: Int) throws -> Int64? { try cells[index].decode(Int64?.self) }
        func date(_ index: Int) throws -> Date { Date(millis: try cells[index].decode(Int64.self)) }
        func optionalDate(_ index: Int) throws -> Date? { try optionalInt(index).map(Date.init(millis:)) }
        let zone = try text(27)
        let pacing = Pacing(
            timeZone: TimeZone(identifier: zone) ?? TimeZone(identifier: "UTC")!,
            activeDays: Set(mask: try int(8)), callingStartMinutes: try int(9), callingEndMinutes: try int(10),
            dailyAttemptLimit: try optionalInt(11).map { Int($0) }, lines: try int(12),
            averageCallSeconds: try int(13))
        let progress = CampaignProgress(
            recipients: try int(16), active: try int(17), done: try int(18), answered: try int(19),
            attemptsDialed: try int(20), creditsSpent: Credits(Int64(try int(21))), dialDay: try optionalText(22),
            dialedOnDay: try int(23))
        return Campaign(
            id: try text(1), workspaceId: try text(0), walletId: try text(2), name: try text(4),
            status: try decodeEnum(try text(5), as: CampaignStatus.self),
            pauseReason: try optionalText(6).map { raw throws(PostgresStoreError) in
                try decodeEnum(raw, as: CampaignPauseReason.self)
            },
            creditCap: try optionalInt(7).map { Credits($0) }, pacing: pacing, launchAt: try optionalDate(14),
            shortfallAcknowledged: try cells[15].decode(Bool.self), progress: progress, createdAt: try date(3),
            updatedAt: try date(24), startedAt: try optionalDate(25), endedAt: try optionalDate(26))
    }

    static let recipient =
        "campaign_id, idx, row, first_name, last_name, name, numbers, state, position, outcome, single_call"

    static func recipient(_ row: PostgresRow) throws -> CampaignRecipient {
        let (campaignId, index, csvRow, firstName, lastName, name, numbers, state, position, outcome, singleCall) =
            try row.decode((String, Int, Int?, String?, String?, String?, String, String, Int, String?, Bool).self)
        return CampaignRecipient(
            campaignId: campaignId, index: index, row: csvRow, firstName: firstName, lastName: lastName, name: name,
            numbers: Self.numbers(numbers), state: try decodeEnum(state, as: RecipientState.self),
            position: position,
            outcome: try outcome.map { raw throws(PostgresStoreError) in try decodeEnum(raw, as: RecipientOutcome.self)
            },
            singleCall: singleCall)
    }

    /// E.164 numbers never hold a comma, so a list is stored comma-separated.
    static func numbers(_ text: String) -> [String] { text.split(separator: ",").map(String.init) }
}
