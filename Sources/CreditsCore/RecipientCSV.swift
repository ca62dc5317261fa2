import Foundation

/// One recipient read from a CSV row: names, and numbers in dialing order (phone, phone2, phone3, …).
public struct Recipient: Hashable, Sendable, Codable {
    /// The CSV row the recipient came from (the header is row 1).
    public var row: Int
    public var firstName: String?
    public var lastName: String?
    public var name: String?
    /// E.164 numbers in dialing order, duplicates within the row removed. Never empty.
    public var numbers: [PhoneNumber]

    public init(
        row: Int, firstName: String? = nil, lastName: String? = nil, name: String? = nil, numbers: [PhoneNumber]
    ) {
        self.row = row
        self.firstName = firstName
        self.lastName = lastName
        self.name = name
        self.numbers = numbers
    }
}

/// Why a whole CSV file is refused. Stable codes, ordered by precedence.
public enum RecipientCSVErrorCode: String, Hashable, Sendable, Codable, CaseIterable {
    /// More bytes than `Limits.csvBytesMax`.
    case tooLarge = "csv_too_large"
    /// No header row: the file is empty or blank.
    case noHeader = "csv_no_header"
    /// More columns than `Limits.csvColumnsMax`.
    case tooManyColumns = "csv_too_many_columns"
    /// No `phone` (or `phoneN`) column.
    case noPhoneColumn = "csv_no_phone_column"
    /// Two columns of the same meaning (e.g. `phone` twice, or `Phone2` and `phone2`).
    case duplicateColumn = "csv_duplicate_column"
    /// More data rows than `Limits.csvRowsMax`.
    case tooManyRows = "csv_too_many_rows"
}

/// A refused CSV file.
public struct RecipientCSVError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: RecipientCSVErrorCode
    public var message: String

    public init(_ code: RecipientCSVErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// Row-level problems besides a bad number (whose code is a `PhoneNumberError`).
public enum RecipientRowErrorCode: String, Hashable, Sendable, Codable, CaseIterable {
    /// The row has no number at all.
    case noPhone = "row_no_phone"
    /// A quoted field is followed by something other than a comma or the end of the line.
    case malformedQuotes = "row_malformed_quotes"
    /// A quoted field is never closed: it runs to the end of the file.
    case unterminatedQuote = "row_unterminated_quote"
    /// A name field is longer than `Limits.csvNameBytesMax`; the name is dropped.
    case nameTooLong = "row_name_too_long"
}

/// One problem in one row. The row's other good numbers are still accepted; a row left without any
/// valid number is not.
public struct RecipientRowError: Hashable, Sendable, Codable {
    /// The CSV row (the header is row 1; blank lines count, as a spreadsheet shows them).
    public var row: Int
    /// The column's header as written, when the problem is in one field.
    public var column: String?
    /// A `PhoneNumberError` or `RecipientRowErrorCode` raw value.
    public var code: String
    public var message: String

    public init(row: Int, column: String?, code: String, message: String) {
        self.row = row
        self.column = column
        self.code = code
        self.message = message
    }
}

/// What an upload produced: the accepted recipients and the rows' problems.
public struct RecipientImport: Hashable, Sendable {
    public var recipients: [Recipient] = []
    /// The first `Limits.csvRowErrorsMax` problems, in row order.
    public var rowErrors: [RecipientRowError] = []
    /// Every problem, also those beyond the listed ones.
    public var rowErrorCount = 0
    /// Data rows read (blank lines not counted).
    public var rowsRead = 0
    /// Rows not accepted (no valid number).
    public var rowsRejected = 0
    /// The phone columns' headers in dialing order.
    public var phoneColumns: [String] = []

    public init() {}
}

/// Reads recipient CSV files: a header row, then one recipient per row.
///
/// Columns, matched case-insensitively with surrounding spaces ignored: `phone` (or `phone1`), `phone2`,
/// `phone3`, … any count, dialed in that order; `first_name`, `last_name`, `name`. Other columns are
/// ignored. The format is RFC 4180 (quoted fields, `""` inside quotes, CRLF or LF, a UTF-8 BOM), read
/// leniently: a short row's missing fields are empty, extra fields are ignored, blank lines are skipped.
public enum RecipientCSV {
    /// Parses `data` (UTF-8). National numbers are read in `defaultCountryCode`.
    public static func parse(
        _ data: some ContiguousBytes, defaultCountryCode: Int = 1, bytesMax: Int = Limits.csvBytesMax,
        rowsMax: Int = Limits.csvRowsMax
    ) throws(RecipientCSVError) -> RecipientImport {
        let result: Result<RecipientImport, RecipientCSVError> = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            return Result { () throws(RecipientCSVError) in
                try parse(bytes: bytes, defaultCountryCode: defaultCountryCode, bytesMax: bytesMax, rowsMax: rowsMax)
            }
        }
        return try result.get()
    }

    /// Parses UTF-8 bytes in one pass; fields are read in place, only escaped quotes are copied.
    public static func parse(
        bytes: UnsafeBufferPointer<UInt8>, defaultCountryCode: Int = 1, bytesMax: Int = Limits.csvBytesMax,
        rowsMax: Int = Limits.csvRowsMax
    ) throws(RecipientCSVError) -> RecipientImport {
        guard bytes.count <= bytesMax else {
            throw RecipientCSVError(.tooLarge, "the file has \(bytes.count) bytes; at most \(bytesMax) are accepted")
        }
        var scanner = CSVScanner(bytes: bytes)
        var recordNumber = 0
        var header: Header?
        while header == nil {
            guard scanner.nextRecord() else { throw RecipientCSVError(.noHeader, "the file has no header row") }
            recordNumber += 1
            if scanner.isBlank { continue }
            header = try Header(scanner: &scanner)
        }
        guard let header else { preconditionFailure("the loop above ends with a header") }
        var result = RecipientImport()
        result.phoneColumns = header.phones.map { header.names[$0.column] }
        var numbers: [PhoneNumber] = []
        while scanner.nextRecord() {
            recordNumber += 1
            if scanner.isBlank { continue }
            result.rowsRead += 1
            guard result.rowsRead <= rowsMax else {
                throw RecipientCSVError(.tooManyRows, "the file has more than \(rowsMax) rows; split it into several")
            }
            let row = recordNumber
            if scanner.unterminated {
                report(
                    &result, row: row, column: nil, RecipientRowErrorCode.unterminatedQuote.rawValue,
                    "a quoted field is not closed before the end of the file")
            } else if scanner.malformed {
                report(
                    &result, row: row, column: nil, RecipientRowErrorCode.malformedQuotes.rawValue,
                    "a closing quote must be followed by a comma or the end of the line")
            }
            var rowHasError = scanner.malformed || scanner.unterminated
            numbers.removeAll(keepingCapacity: true)
            for phone in header.phones where phone.column < scanner.fieldCount {
                let parsed = scanner.withField(phone.column) { field in
                    PhoneNumber.parse(field, defaultCountryCode: defaultCountryCode)
                }
                switch parsed {
                case .success(let number):
                    if !numbers.contains(number) { numbers.append(number) }
                case .failure(.empty):
                    break  // an empty fallback column is normal
                case .failure(let error):
                    rowHasError = true
                    report(&result, row: row, column: header.names[phone.column], error.rawValue, error.message)
                }
            }
            if numbers.isEmpty {
                if !rowHasError {
                    report(
                        &result, row: row, column: nil, RecipientRowErrorCode.noPhone.rawValue,
                        "the row has no phone number")
                }
                result.rowsRejected += 1
                continue
            }
            var recipient = Recipient(row: row, numbers: numbers)
            if let column = header.firstName {
                recipient.firstName = name(&scanner, column, header, row, &result)
            }
            if let column = header.lastName {
                recipient.lastName = name(&scanner, column, header, row, &result)
            }
            if let column = header.name {
                recipient.name = name(&scanner, column, header, row, &result)
            }
            result.recipients.append(recipient)
        }
        return result
    }

    /// A trimmed name field; nil when empty or too long (then reported).
    private static func name(
        _ scanner: inout CSVScanner, _ column: Int, _ header: Header, _ row: Int, _ result: inout RecipientImport
    ) -> String? {
        guard column < scanner.fieldCount else { return nil }
        let text: String?? = scanner.withField(column) { field in
            let trimmed = trim(field)
            if trimmed.isEmpty { return .some(nil) }
            if trimmed.count > Limits.csvNameBytesMax { return nil }
            return .some(String(decoding: trimmed, as: UTF8.self))
        }
        guard let text else {
            report(
                &result, row: row, column: header.names[column], RecipientRowErrorCode.nameTooLong.rawValue,
                "a name may have at most \(Limits.csvNameBytesMax) bytes")
            return nil
        }
        return text
    }

    /// Records one row problem, listing the first `Limits.csvRowErrorsMax`.
    private static func report(
        _ result: inout RecipientImport, row: Int, column: String?, _ code: String, _ message: String
    ) {
        result.rowErrorCount += 1
        if result.rowErrors.count < Limits.csvRowErrorsMax {
            result.rowErrors.append(RecipientRowError(row: row, column: column, code: code, message: message))
        }
    }

    static func trim(_ field: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var end = field.count
        while start < end && (field[start] == 0x20 || field[start] == 0x09) { start += 1 }
        while end > start && (field[end - 1] == 0x20 || field[end - 1] == 0x09) { end -= 1 }
        return UnsafeBufferPointer(rebasing: field[start..<end])
    }
}

/// What each column means.
private struct Header {
    /// The headers as written.
    var names: [String] = []
    /// Phone columns in dialing order.
    var phones: [(position: Int, column: Int)] = []
    var firstName: Int?
    var lastName: Int?
    var name: Int?

    init(scanner: inout CSVScanner) throws(RecipientCSVError) {
        guard scanner.fieldCount <= Limits.csvColumnsMax else {
            throw RecipientCSVError(
                .tooManyColumns, "the header has \(scanner.fieldCount) columns; at most \(Limits.csvColumnsMax)")
        }
        var seen: Set<String> = []
        for column in 0..<scanner.fieldCount {
            let written = scanner.withField(column) { String(decoding: RecipientCSV.trim($0), as: UTF8.self) }
            names.append(written)
            let key = written.lowercased()
            var meaning = key
            if key == "first_name" {
                firstName = column
            } else if key == "last_name" {
                lastName = column
            } else if key == "name" {
                name = column
            } else if let position = Self.phonePosition(key) {
                meaning = "phone\(position)"
                phones.append((position, column))
            } else {
                continue
            }
            guard seen.insert(meaning).inserted else {
                throw RecipientCSVError(.duplicateColumn, "the column \(written) appears twice")
            }
        }
        guard !phones.isEmpty else {
            throw RecipientCSVError(.noPhoneColumn, "the header needs a phone column (phone, phone2, phone3, …)")
        }
        phones.sort { $0.position < $1.position }
    }

    /// `phone` → 1, `phone1` → 1, `phone7` → 7; nil for anything else.
    static func phonePosition(_ key: String) -> Int? {
        guard key.hasPrefix("phone") else { return nil }
        let suffix = key.dropFirst(5)
        if suffix.isEmpty { return 1 }
        guard suffix.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let position = Int(suffix), position >= 1 else {
            return nil
        }
        return position
    }
}
