import CreditsWebhooks
import Foundation
import Testing

/// Standard Webhooks signatures against the specification's published test vector (the reference
/// libraries' `sign` test: secret `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`, id `msg_p5jXN8AQM9LWM0D4loKWxJek`,
/// timestamp 1614265330, body `{"test": 2432232314}`). The expected value was also recomputed with
/// Python's `hmac` module before it was pasted here.
@Suite("Standard Webhooks signature")
struct StandardWebhookSignatureTests {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    let timestamp: Int64 = 1_614_265_330
    let body = Array(#"{"test": 2432232314}"#.utf8)
    let published = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    var signedAt: Date { Date(timeIntervalSince1970: Double(timestamp)) }

    @Test("the signature of the published vector is the published value")
    func publishedVector() {
        #expect(StandardWebhookSignature.sign(secret: secret, id: id, timestamp: timestamp, body: body) == published)
    }

    @Test("the secret is read with or without its whsec_ prefix")
    func secretWithoutPrefix() {
        let bare = String(secret.dropFirst("whsec_".count))
        #expect(StandardWebhookSignature.sign(secret: bare, id: id, timestamp: timestamp, body: body) == published)
    }

    @Test("the three headers carry the id, the timestamp in seconds and the signature")
    func headers() throws {
        let headers = try #require(
            StandardWebhookSignature.headers(secret: secret, id: id, timestamp: timestamp, body: body))
        #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers.map(\.value) == [id, "1614265330", published])
    }

    @Test("a verifier accepts the published signature, also among others (secret rotation)")
    func verifyAccepts() throws {
        try StandardWebhookSignature.verify(
            secret: secret, id: id, timestamp: "1614265330", signatures: published, body: body, now: signedAt)
        try StandardWebhookSignature.verify(
            secret: secret, id: id, timestamp: "1614265330",
            signatures: "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,x \(published)", body: body,
            now: signedAt.addingTimeInterval(299))
    }

    @Test("a changed body, id or timestamp, or a stale timestamp, is refused")
    func verifyRefuses() {
        let changed = Array(#"{"test": 2432232315}"#.utf8)
        #expect(throws: StandardWebhookSignature.VerificationError.noMatchingSignature) {
            try StandardWebhookSignature.verify(
                secret: secret, id: id, timestamp: "1614265330", signatures: published, body: changed, now: signedAt)
        }
        #expect(throws: StandardWebhookSignature.VerificationError.noMatchingSignature) {
            try StandardWebhookSignature.verify(
                secret: secret, id: "msg_other", timestamp: "1614265330", signatures: published, body: body,
                now: signedAt)
        }
        #expect(throws: StandardWebhookSignature.VerificationError.noMatchingSignature) {
            try StandardWebhookSignature.verify(
                secret: secret, id: id, timestamp: "1614265331", signatures: published, body: body,
                now: signedAt)
        }
        #expect(throws: StandardWebhookSignature.VerificationError.timestampOutOfTolerance) {
            try StandardWebhookSignature.verify(
                secret: secret, id: id, timestamp: "1614265330", signatures: published, body: body,
                now: signedAt.addingTimeInterval(301))
        }
        #expect(throws: StandardWebhookSignature.VerificationError.missingHeaders) {
            try StandardWebhookSignature.verify(
                secret: secret, id: id, timestamp: nil, signatures: published, body: body, now: signedAt)
        }
    }

    @Test("a new secret is whsec_ and 32 random bytes in base64, and signs")
    func generatedSecret() throws {
        let first = StandardWebhookSignature.generateSecret()
        let second = StandardWebhookSignature.generateSecret()
        #expect(first.hasPrefix("whsec_") && first != second)
        let bytes = try #require(Data(base64Encoded: String(first.dropFirst(6))))
        #expect(bytes.count == 32)
        let signature = try #require(
            StandardWebhookSignature.sign(secret: first, id: "msg_1", timestamp: 1, body: Array("{}".utf8)))
        try StandardWebhookSignature.verify(
            secret: first, id: "msg_1", timestamp: "1", signatures: signature, body: Array("{}".utf8),
            now: Date(timeIntervalSince1970: 1))
    }

    @Test("an id containing a full stop is not signed (it would make the signed content ambiguous)")
    func idWithFullStop() {
        #expect(StandardWebhookSignature.sign(secret: secret, id: "msg.1", timestamp: timestamp, body: body) == nil)
    }
}
