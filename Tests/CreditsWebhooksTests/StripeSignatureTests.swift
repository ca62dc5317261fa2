import CreditsWebhooks
import Foundation
import Testing

/// Stripe's `Stripe-Signature` scheme: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, with a tolerance window.
@Suite("Stripe signature")
struct StripeSignatureTests {
    let secret = "whsec_test_secret"
    let body = Data(#"{"id":"evt_1","type":"checkout.session.completed"}"#.utf8)
    let timestamp: Int64 = 1_767_225_600
    /// Computed independently with Python's `hmac` (hmac.new(secret, f"{t}.{body}", sha256).hexdigest()).
    let expected = "15cb038dde33dbf631159a8a3226f345c540a7ba0350704f4e95f9462346670c"

    var now: Date { Date(timeIntervalSince1970: Double(timestamp)) }

    @Test func theSignatureIsTheHMACOfTimestampDotBody() {
        #expect(StripeSignature.compute(secret: secret, timestamp: timestamp, payload: body) == expected)
        #expect(
            StripeSignature.header(secret: secret, timestamp: timestamp, payload: body)
                == "t=\(timestamp),v1=\(expected)")
    }

    @Test func aMatchingSignatureWithinTheToleranceIsAccepted() throws {
        let header = "t=\(timestamp),v1=\(expected)"
        try StripeSignature.verify(payload: body, header: header, secret: secret, toleranceSeconds: 300, now: now + 300)
        try StripeSignature.verify(payload: body, header: header, secret: secret, toleranceSeconds: 300, now: now - 300)
    }

    @Test func anyOfSeveralV1SignaturesMayMatch() throws {
        let header = "t=\(timestamp),v1=\(String(repeating: "0", count: 64)),v0=abc,v1=\(expected)"
        try StripeSignature.verify(payload: body, header: header, secret: secret, toleranceSeconds: 300, now: now)
    }

    @Test func aWrongSignatureBodyOrSecretIsAMismatch() {
        let header = "t=\(timestamp),v1=\(expected)"
        #expect(throws: StripeSignature.Failure.mismatch) {
            try StripeSignature.verify(
                payload: Data("{}".utf8), header: header, secret: secret, toleranceSeconds: 300, now: now)
        }
        #expect(throws: StripeSignature.Failure.mismatch) {
            try StripeSignature.verify(
                payload: body, header: header, secret: "whsec_x", toleranceSeconds: 300, now: now)
        }
        #expect(throws: StripeSignature.Failure.mismatch) {
            try StripeSignature.verify(
                payload: body, header: "t=\(timestamp + 1),v1=\(expected)", secret: secret, toleranceSeconds: 300,
                now: now)
        }
    }

    @Test func aTimestampOutsideTheToleranceIsRefusedEitherWay() {
        let header = "t=\(timestamp),v1=\(expected)"
        #expect(throws: StripeSignature.Failure.outsideTolerance) {
            try StripeSignature.verify(
                payload: body, header: header, secret: secret, toleranceSeconds: 300, now: now + 301)
        }
        #expect(throws: StripeSignature.Failure.outsideTolerance) {
            try StripeSignature.verify(
                payload: body, header: header, secret: secret, toleranceSeconds: 300, now: now - 301)
        }
    }

    @Test func aHeaderWithoutTimestampOrV1IsMalformed() {
        for header in ["", "v1=\(expected)", "t=\(timestamp)", "t=abc,v1=\(expected)", "t=\(timestamp),v0=\(expected)"]
        {
            #expect(throws: StripeSignature.Failure.malformedHeader) {
                try StripeSignature.verify(
                    payload: body, header: header, secret: secret, toleranceSeconds: 300, now: now)
            }
        }
    }
}
