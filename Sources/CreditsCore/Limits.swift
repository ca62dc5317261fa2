/// Limits on everything a client controls. Requests beyond them are refused with `invalid_request`;
/// recipient CSV files beyond theirs with `RecipientCSVError` (`csv_too_large`, `csv_too_many_rows`, …).
public enum Limits {
    /// Longest attempt id, idempotency key, or reference.
    public static let identifierLengthMax = 128
    /// Longest free-text reason on a grant or adjustment.
    public static let reasonLengthMax = 500
    /// Largest single grant or adjustment.
    public static let grantAmountMax: Int64 = 100_000_000
    /// Shortest and longest hold timeout.
    public static let holdTimeoutSecondsMin = 5
    public static let holdTimeoutSecondsMax = 86_400
    /// Hold timeout when the client gives none: long enough for a call whose connect event only comes at its end.
    public static let holdTimeoutSecondsDefault = 3_600
    /// Largest page of entries.
    public static let pageSizeMax = 500
    public static let pageSizeDefault = 100
    /// Most lots expired or holds swept in one sweeper transaction.
    public static let sweepBatchMax = 500
    /// Longest workspace name.
    public static let nameLengthMax = 200
    /// Years a billing-cycle anchor may fall in: anything else is a typo, not a subscription.
    public static let cycleAnchorYears = 2000...2200
    /// Furthest cycle from the anchor the calendar computes (1,000 years of months either way).
    public static let cycleIndexMax = 12_000
    /// Longest plan name.
    public static let planNameLengthMax = 200
    /// Highest plan price in minor units (cents): 10 million in the major unit.
    public static let planPriceMinorMax: Int64 = 1_000_000_000
    /// Longest validity a credit package may give its credits (ten years); none at all is also allowed.
    public static let packageValidityDaysMax = 3_650
    /// Most cycle resets one scheduler transaction makes (SQLite: one write batch).
    public static let resetBatchMax = 500
    /// Longest checkout URL or payment reference kept from a payment provider.
    public static let providerReferenceLengthMax = 2_048
    /// Largest recipient CSV upload (128 MiB: a million recipients with several numbers and names each).
    public static let csvBytesMax = 134_217_728
    /// Most data rows (recipients) in one recipient CSV, the header not counted.
    public static let csvRowsMax = 1_000_000
    /// Most columns in one recipient CSV.
    public static let csvColumnsMax = 200
    /// Most row errors listed in one import; beyond it they are only counted.
    public static let csvRowErrorsMax = 1_000
    /// Longest name field kept from a CSV row, in bytes; longer ones are refused for that row.
    public static let csvNameBytesMax = 200
    /// Most attempts recorded in one `createAttempts` call.
    public static let attemptBatchMax = 1_000
    /// Longest usage period, in days (a little over two years).
    public static let usageDaysMax = 800
    /// Most numbers added, removed or checked against the Do Not Call list in one call.
    public static let dncBatchMax = 10_000
    /// Most numbers one Do Not Call CSV import may hold.
    public static let dncImportRowsMax = 1_000_000
    /// Longest event id a telephony provider or client may send.
    public static let eventIdLengthMax = 128
    /// Most simultaneous lines one campaign may use.
    public static let campaignLinesMax = 1_000
    /// Most recipients one campaign holds, over all its uploads and single calls.
    public static let campaignRecipientsMax = 1_000_000
    /// Most campaigns listed in one page.
    public static let campaignPageSizeMax = 200

    /// Highest runway threshold: one week.
    public static let runwayMinutesMax = 10_080
    /// Longest webhook endpoint URL.
    public static let webhookURLLengthMax = 2_048
    /// Most webhook endpoints (not deleted) in one workspace.
    public static let webhookEndpointsMax = 20
    /// Largest event body; Standard Webhooks recommends staying under 20 kB.
    public static let notificationPayloadBytesMax = 16_384
    /// Longest error text kept for a delivery attempt.
    public static let deliveryErrorLengthMax = 300
    /// Most entries read back to measure one wallet's pace (a busier wallet's window is cut short).
    public static let spendingWindowEntriesMax = 50_000

    /// Checks an ISO 4217 currency code: three upper-case letters ("USD").
    public static func checkCurrency(_ value: String) throws(LedgerRefusal) {
        guard value.utf8.count == 3, value.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
            throw .invalid("currency must be a three-letter ISO 4217 code in upper case")
        }
    }

    /// Checks an identifier a client chose: 1…128 characters of letters, digits and `-_.:`.
    public static func checkIdentifier(_ value: String, field: String) throws(LedgerRefusal) {
        guard !value.isEmpty, value.utf8.count <= identifierLengthMax else {
            throw .invalid("\(field) must be 1 to \(identifierLengthMax) characters")
        }
        let allowed = value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x3A
        }
        guard allowed else { throw .invalid("\(field) may contain only letters, digits and - _ . :") }
    }
}
