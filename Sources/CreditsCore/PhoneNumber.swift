/// Why a phone number could not be read. The raw values are stable codes, reported per field.
public enum PhoneNumberError: String, Error, Hashable, Sendable, Codable, CaseIterable {
    /// Nothing but separators.
    case empty = "phone_empty"
    /// A letter or another character that is neither a digit nor a separator (space, dash, dot, parentheses),
    /// or a `+` anywhere but at the start.
    case invalidCharacters = "phone_invalid_characters"
    /// Fewer digits than a full number has (E.164: 8 with the country code; NANP: 10).
    case tooShort = "phone_too_short"
    /// More digits than a full number has (E.164: 15 with the country code; NANP: 11 with the leading 1).
    case tooLong = "phone_too_long"
    /// An international number whose country code starts with 0.
    case invalidCountryCode = "phone_invalid_country_code"
    /// A +1 number whose area code or exchange starts with 0 or 1.
    case invalidNANP = "phone_invalid_nanp"

    /// A sentence for people.
    public var message: String {
        switch self {
        case .empty: "the number is empty"
        case .invalidCharacters:
            "the number may hold only digits, a leading + or 00, spaces, dashes, dots and parentheses"
        case .tooShort: "the number has too few digits"
        case .tooLong: "the number has too many digits"
        case .invalidCountryCode: "a country code cannot start with 0"
        case .invalidNANP: "a +1 number needs a 10-digit number whose area code and exchange start with 2–9"
        }
    }
}

/// A phone number in E.164: `+` and 8 to 15 digits, the first not 0. Numbers are matched (DNC list,
/// duplicates) on this form.
///
/// Reading rules, kept simple on purpose (no full numbering plan per country):
/// - spaces, tabs, dashes, dots and parentheses are dropped; any other character is refused;
/// - a leading `+` or `00` starts an international number: its digits are the country code and number;
/// - otherwise the number is national and read in the default country (+1 unless set): for +1 it must
///   have 10 digits, or 11 starting with 1; elsewhere one leading trunk `0` is dropped and the country
///   code put in front;
/// - every +1 number (NANP) must have 10 digits after the 1, area code and exchange starting with 2–9.
public struct PhoneNumber: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The E.164 text, e.g. `+14155550123`.
    public let e164: String

    /// Reads `text` as a phone number, national numbers in `defaultCountryCode` (1 to 999).
    public init(_ text: String, defaultCountryCode: Int = 1) throws(PhoneNumberError) {
        var copy = text
        let result = copy.withUTF8 { bytes in Self.parse(bytes, defaultCountryCode: defaultCountryCode) }
        switch result {
        case .success(let number): self = number
        case .failure(let error): throw error
        }
    }

    private init(trusted e164: String) { self.e164 = e164 }

    public var description: String { e164 }

    public static func < (lhs: PhoneNumber, rhs: PhoneNumber) -> Bool { lhs.e164 < rhs.e164 }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(e164)
    }

    /// Reads a number from UTF-8 bytes without allocating anything but the result (the CSV path).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, defaultCountryCode: Int = 1)
        -> Result<PhoneNumber, PhoneNumberError>
    {
        precondition((1...999).contains(defaultCountryCode), "a country calling code has 1 to 3 digits")
        // Digits are gathered into an integer: at most 15 count, and a full number never starts with 0
        // once its country code is in front, so the integer keeps every digit.
        var value: UInt64 = 0
        var digitCount = 0
        var international = false
        var firstDigit: UInt8 = 0
        var sawPlus = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x30...0x39:
                if digitCount == 0 { firstDigit = byte }
                digitCount += 1
                if digitCount <= 18 { value = value * 10 + UInt64(byte - 0x30) }
            case 0x2B:  // +
                guard !sawPlus && digitCount == 0 else { return .failure(.invalidCharacters) }
                sawPlus = true
                international = true
            case 0x20, 0x09, 0x2D, 0x2E, 0x28, 0x29:  // space, tab, - . ( )
                break
            default:
                return .failure(.invalidCharacters)
            }
            index += 1
        }
        if digitCount == 0 { return .failure(.empty) }
        if !international && digitCount >= 2 && firstDigit == 0x30 && leadingDigits(value, digitCount, 2) == 0 {
            // "00" starts an international number; drop it.
            international = true
            digitCount -= 2
            if digitCount == 0 { return .failure(.empty) }
            firstDigit = firstDigitOf(value, digitCount)
        }
        if international {
            if firstDigit == 0x30 { return .failure(.invalidCountryCode) }
            if digitCount < 8 { return .failure(.tooShort) }
            if digitCount > 15 { return .failure(.tooLong) }
            if firstDigit == 0x31 { return nanp(national: value % 10_000_000_000, digitCount: digitCount - 1) }
            return .success(PhoneNumber(trusted: "+" + String(value)))
        }
        if defaultCountryCode == 1 {
            if digitCount == 11 && firstDigit == 0x31 { return nanp(national: value % 10_000_000_000, digitCount: 10) }
            if digitCount == 11 { return .failure(.invalidNANP) }
            if digitCount < 10 { return .failure(.tooShort) }
            if digitCount > 11 { return .failure(.tooLong) }
            return nanp(national: value, digitCount: digitCount)
        }
        // A leading "00" was read as international above, so at most one leading 0 (the trunk prefix)
        // is dropped here, and the integer never lost a significant zero.
        var national = value
        var nationalCount = digitCount
        if firstDigit == 0x30 {
            nationalCount -= 1  // the trunk prefix; the integer already has no leading zero
        }
        let codeDigits = defaultCountryCode >= 100 ? 3 : defaultCountryCode >= 10 ? 2 : 1
        let total = codeDigits + nationalCount
        if total < 8 { return .failure(.tooShort) }
        if total > 15 { return .failure(.tooLong) }
        national += UInt64(defaultCountryCode) * power10(nationalCount)
        return .success(PhoneNumber(trusted: "+" + String(national)))
    }

    /// A +1 number from its 10 national digits.
    private static func nanp(national: UInt64, digitCount: Int) -> Result<PhoneNumber, PhoneNumberError> {
        if digitCount < 10 { return .failure(.invalidNANP) }
        if digitCount > 10 { return .failure(.invalidNANP) }
        let areaFirst = national / 1_000_000_000
        let exchangeFirst = (national / 1_000_000) % 10
        guard areaFirst >= 2, exchangeFirst >= 2 else { return .failure(.invalidNANP) }
        return .success(PhoneNumber(trusted: "+1" + String(national)))
    }

    /// The first `count` digits of a `digitCount`-digit number (leading zeros included).
    private static func leadingDigits(_ value: UInt64, _ digitCount: Int, _ count: Int) -> UInt64 {
        digitCount > 18 ? 1 : value / power10(digitCount - count)
    }

    /// The ASCII first digit of the last `digitCount` digits of `value`.
    private static func firstDigitOf(_ value: UInt64, _ digitCount: Int) -> UInt8 {
        guard digitCount <= 18 else { return 0x31 }
        return UInt8(0x30 + (value / power10(digitCount - 1)) % 10)
    }

    private static func power10(_ exponent: Int) -> UInt64 {
        var result: UInt64 = 1
        for _ in 0..<max(0, exponent) { result *= 10 }
        return result
    }
}
