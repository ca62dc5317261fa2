import CreditsCore
import Testing

/// Recipient CSV uploads.
@Suite("Recipient CSV")
struct RecipientCSVTests {
    func parse(_ text: String, rowsMax: Int = Limits.csvRowsMax, bytesMax: Int = Limits.csvBytesMax)
        throws(RecipientCSVError)
        -> RecipientImport
    {
        try RecipientCSV.parse(Array(text.utf8), bytesMax: bytesMax, rowsMax: rowsMax)
    }

    @Test("phone, phone2 and phone3 become numbers in dialing order, normalised to E.164")
    func fallbackNumbersInOrder() throws {
        let result = try parse(
            """
            first_name,last_name,phone3,phone,phone2
            Ada,Lovelace,415 555 0103,(415) 555-0101,+1 415 555 0102
            """)
        #expect(result.phoneColumns == ["phone", "phone2", "phone3"])
        let recipient = try #require(result.recipients.first)
        #expect(recipient.numbers.map(\.e164) == ["+14155550101", "+14155550102", "+14155550103"])
        #expect(recipient.firstName == "Ada" && recipient.lastName == "Lovelace" && recipient.row == 2)
    }

    @Test("headers are matched case-insensitively, and any number of phone columns is read")
    func caseInsensitiveHeaders() throws {
        let result = try parse("Name,PHONE,Phone2,phone10\nGrace, 4155550101 ,,4155550110\n")
        #expect(result.recipients.first?.numbers.map(\.e164) == ["+14155550101", "+14155550110"])
        #expect(result.recipients.first?.name == "Grace")
    }

    @Test("bad rows are reported with their row numbers and codes; the other rows are accepted")
    func badRowsReported() throws {
        let result = try parse(
            """
            name,phone,phone2
            Good,4155550101,
            Letters,415-555-CALL,
            Short,555-0123,4155550103
            Nothing,,
            Good too,4155550104,4155550105
            """)
        #expect(result.recipients.map(\.row) == [2, 4, 6])
        #expect(result.recipients[1].numbers.map(\.e164) == ["+14155550103"])
        #expect(result.rowErrors.map(\.row) == [3, 4, 5])
        #expect(result.rowErrors.map(\.code) == ["phone_invalid_characters", "phone_too_short", "row_no_phone"])
        #expect(result.rowErrors.map(\.column) == ["phone", "phone", nil])
        #expect(result.rowsRead == 5 && result.rowsRejected == 2 && result.rowErrorCount == 3)
    }

    @Test("quoted fields keep commas, line breaks and escaped quotes")
    func quotedFields() throws {
        let result = try parse("name,phone\n\"Smith, \"\"Jo\"\"\",\"415 555 0101\"\n\"Two\nLines\",4155550102\n")
        #expect(result.recipients.map(\.name) == ["Smith, \"Jo\"", "Two\nLines"])
        #expect(result.recipients.map(\.row) == [2, 3])
    }

    @Test("a UTF-8 BOM before the header is skipped")
    func byteOrderMark() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("phone\n4155550101\n".utf8)
        let result = try RecipientCSV.parse(bytes)
        #expect(result.phoneColumns == ["phone"] && result.recipients.count == 1)
    }

    @Test("CRLF and LF line ends read the same; blank lines are skipped but counted as rows")
    func lineEnds() throws {
        let crlf = try parse("phone\r\n4155550101\r\n\r\n4155550102\r\n")
        let lf = try parse("phone\n4155550101\n\n4155550102")
        #expect(crlf.recipients == lf.recipients)
        #expect(crlf.recipients.map(\.row) == [2, 4])
    }

    @Test("a quote left open is reported for its row")
    func unterminatedQuote() throws {
        let result = try parse("name,phone\nA,4155550101\n\"B,4155550102\n")
        #expect(result.recipients.count == 1)
        #expect(result.rowErrors.map(\.code) == ["row_unterminated_quote"] && result.rowErrors.first?.row == 3)
    }

    @Test("duplicate numbers within a row are dialed once")
    func duplicatesWithinRow() throws {
        let result = try parse("phone,phone2\n4155550101,+1 (415) 555-0101\n")
        #expect(result.recipients.first?.numbers.count == 1)
    }

    @Test("a file over the byte limit is refused before it is read")
    func bytesLimit() {
        #expect(throws: RecipientCSVError.self) { try parse("phone\n4155550101\n", bytesMax: 10) }
    }

    @Test("a file over the row limit is refused")
    func rowsLimit() {
        do {
            _ = try parse("phone\n4155550101\n4155550102\n4155550103\n", rowsMax: 2)
            Issue.record("three rows must exceed a limit of two")
        } catch {
            #expect(error.code == .tooManyRows)
        }
        #expect(throws: Never.self) { try parse("phone\n4155550101\n4155550102\n", rowsMax: 2) }
    }

    @Test("a file without a phone column, without a header, or with a column twice is refused")
    func fileRefusals() {
        func code(_ text: String) -> RecipientCSVErrorCode? {
            do {
                _ = try parse(text)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code("name,email\nA,a@x.test\n") == .noPhoneColumn)
        #expect(code("") == .noHeader)
        #expect(code("\n\n") == .noHeader)
        #expect(code("phone,Phone\n1,2\n") == .duplicateColumn)
        #expect(code("phone,phone1\n1,2\n") == .duplicateColumn)
    }

    @Test("row errors beyond the listing limit are counted, not listed")
    func rowErrorsCapped() throws {
        let bad = Limits.csvRowErrorsMax + 5
        let text = "phone\n" + String(repeating: "not a number\n", count: bad) + "4155550101\n"
        let result = try parse(text)
        #expect(result.rowErrors.count == Limits.csvRowErrorsMax && result.rowErrorCount == bad)
        #expect(result.recipients.count == 1 && result.rowsRejected == bad)
    }
}
