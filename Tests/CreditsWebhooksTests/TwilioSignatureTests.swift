import CreditsWebhooks
import Testing

/// `X-Twilio-Signature` against Twilio's worked example ("Validating requests" in Twilio's security docs:
/// auth token 12345, the URL and the five parameters below). The expected value was also recomputed with
/// Python's `hmac` module before it was pasted here.
@Suite("Twilio signature")
struct TwilioSignatureTests {
    let authToken = "12345"
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    let parameters = [
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    ]
    let published = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

    @Test("the signature of Twilio's published example is the published value")
    func publishedExample() {
        #expect(TwilioSignature.compute(authToken: authToken, url: url, parameters: parameters) == published)
    }

    @Test("the published signature is accepted")
    func publishedSignatureAccepted() {
        #expect(TwilioSignature.isValid(signature: published, authToken: authToken, url: url, parameters: parameters))
    }

    @Test("a wrong signature is refused")
    func wrongSignatureRefused() {
        let wrong = "1/KCTR6DLpKmkAf8muzZqo1nDgQ="
        #expect(!TwilioSignature.isValid(signature: wrong, authToken: authToken, url: url, parameters: parameters))
        #expect(!TwilioSignature.isValid(signature: "", authToken: authToken, url: url, parameters: parameters))
    }

    @Test("a changed parameter, URL or token invalidates the signature")
    func tamperingRefused() {
        var changed = parameters
        changed["Digits"] = "1235"
        #expect(!TwilioSignature.isValid(signature: published, authToken: authToken, url: url, parameters: changed))
        #expect(
            !TwilioSignature.isValid(
                signature: published, authToken: authToken, url: url + "&baz=3", parameters: parameters))
        #expect(!TwilioSignature.isValid(signature: published, authToken: "54321", url: url, parameters: parameters))
    }

    @Test("parameters are signed sorted by name, whatever order they arrive in")
    func sortedByName() {
        let text = TwilioSignature.signedString(
            url: "https://x.test/cb", parameters: [(name: "b", value: "2"), (name: "a", value: "1")])
        #expect(text == "https://x.test/cba1b2")
    }

    @Test("the constant-time comparison tells equal from unequal strings of the same length")
    func constantTimeComparison() {
        #expect(TwilioSignature.constantTimeEquals("abc", "abc"))
        #expect(!TwilioSignature.constantTimeEquals("abc", "abd"))
        #expect(!TwilioSignature.constantTimeEquals("abc", "abcd"))
    }
}
