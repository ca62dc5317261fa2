import CreditsCore
import Testing

/// E.164 normalisation.
@Suite("Phone numbers")
struct PhoneNumberTests {
    func e164(_ text: String, country: Int = 1) -> String? { try? PhoneNumber(text, defaultCountryCode: country).e164 }

    func error(_ text: String, country: Int = 1) -> PhoneNumberError? {
        do {
            _ = try PhoneNumber(text, defaultCountryCode: country)
            return nil
        } catch {
            return error
        }
    }

    @Test("a US number without a country code is read as +1, separators dropped")
    func nationalNANP() {
        #expect(e164("(415) 555-0123") == "+14155550123")
        #expect(e164("415.555.0123") == "+14155550123")
        #expect(e164("1 415 555 0123") == "+14155550123")
    }

    @Test("an international number keeps its country code; 00 reads as +")
    func international() {
        #expect(e164("+44 20 7946 0958") == "+442079460958")
        #expect(e164("0044 20 7946 0958") == "+442079460958")
        #expect(e164("+1-415-555-0123") == "+14155550123")
    }

    @Test("a national number in another default country drops its trunk 0")
    func otherDefaultCountry() {
        #expect(e164("020 7946 0958", country: 44) == "+442079460958")
        #expect(e164("030 123456", country: 49) == "+4930123456")
    }

    @Test("letters are refused")
    func lettersRefused() {
        #expect(error("415-555-CALL") == .invalidCharacters)
        #expect(error("+1 415 555 0123 x12") == .invalidCharacters)
        #expect(error("41+5 555 0123") == .invalidCharacters)
    }

    @Test("too short and too long numbers are refused")
    func lengthRefused() {
        #expect(error("555-0123") == .tooShort)
        #expect(error("+44 1234") == .tooShort)
        #expect(error("+44 1234 5678 9012 34") == .tooLong)
        #expect(error("415 555 0123 45") == .tooLong)
    }

    @Test("empty numbers are refused as empty")
    func emptyRefused() {
        #expect(error("") == .empty)
        #expect(error(" - ") == .empty)
    }

    @Test("a country code starting with 0 is refused")
    func zeroCountryCode() {
        #expect(error("+0 123 456 7890") == .invalidCountryCode)
        #expect(error("000 123 456 7890") == .invalidCountryCode)
    }

    @Test("a +1 number needs 10 digits with area code and exchange from 2 to 9")
    func nanpRules() {
        #expect(error("+1 415 555 012") == .invalidNANP)
        #expect(error("(115) 555-0123") == .invalidNANP)
        #expect(error("415 155 0123") == .invalidNANP)
        #expect(error("2 415 555 0123") == .invalidNANP)
    }

    @Test("E.164 text is 8 to 15 digits after the plus")
    func bounds() {
        #expect(e164("+49 301 23456") == "+4930123456")
        #expect(e164("+86 1381 2345 6789 0") == "+86138123456789" + "0")
    }
}
