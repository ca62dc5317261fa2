import Crypto
import Foundation

/// Signatures as the Standard Webhooks specification defines them (symmetric scheme, `v1`).
///
/// The secret is shown to customers as `whsec_` + base64 of the key bytes (24 to 64 bytes). The signed
/// content is `{webhook-id}.{webhook-timestamp}.{body}`; the signature is HMAC-SHA256 keyed by the
/// base64-*decoded* secret, sent base64-encoded as `v1,<signature>` in the `webhook-signature` header,
/// which may carry several space-separated signatures (secret rotation).
public enum StandardWebhookSignature {
    public static let idHeader = "webhook-id"
    public static let timestampHeader = "webhook-timestamp"
    public static let signatureHeader = "webhook-signature"
    /// The prefix of a serialized secret.
    public static let secretPrefix = "whsec_"
    /// Bytes of a new secret: 256 bits, within the specification's 24…64.
    public static let secretBytes = 32
    /// How far a verifier accepts a timestamp from its own clock (the reference libraries use 5 minutes).
    public static let toleranceSeconds: TimeInterval = 300

    /// A new random secret in `whsec_<base64>` form.
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<secretBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return secretPrefix + Data(bytes).base64EncodedString()
    }

    /// The key bytes of a secret given with or without `whsec_`; nil when it is not base64 or is empty.
    public static func key(fromSecret secret: String) -> SymmetricKey? {
        let encoded = secret.hasPrefix(secretPrefix) ? String(secret.dropFirst(secretPrefix.count)) : secret
        let padded = encoded + String(repeating: "=", count: (4 - encoded.count % 4) % 4)
        guard let bytes = Data(base64Encoded: padded), !bytes.isEmpty else { return nil }
        return SymmetricKey(data: bytes)
    }

    /// The `v1,<base64>` signature of a message. The id and timestamp must not contain `.`.
    public static func sign(secret: String, id: String, timestamp: Int64, body: some DataProtocol) -> String? {
        guard let key = key(fromSecret: secret), !id.contains(".") else { return nil }
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        let code = HMAC<SHA256>.authenticationCode(for: content, using: key)
        return "v1," + Data(code).base64EncodedString()
    }

    /// The three headers of one delivery attempt, signed with `secret` at `timestamp` (seconds since 1970).
    public static func headers(
        secret: String, id: String, timestamp: Int64, body: some DataProtocol
    ) -> [(name: String, value: String)]? {
        guard let signature = sign(secret: secret, id: id, timestamp: timestamp, body: body) else { return nil }
        return [(idHeader, id), (timestampHeader, String(timestamp)), (signatureHeader, signature)]
    }

    /// Why a received message was refused.
    public enum VerificationError: Error, Hashable, Sendable {
        case missingHeaders
        case invalidTimestamp
        case timestampOutOfTolerance
        case noMatchingSignature
        case invalidSecret
    }

    /// Verifies a received message as a Standard Webhooks consumer does: the timestamp within the tolerance
    /// of `now`, and one of the `v1` signatures in the header matching (compared in constant time).
    public static func verify(
        secret: String, id: String?, timestamp: String?, signatures: String?, body: some DataProtocol, now: Date,
        toleranceSeconds: TimeInterval = toleranceSeconds
    ) throws(VerificationError) {
        guard let id, let timestamp, let signatures else { throw .missingHeaders }
        guard let seconds = Int64(timestamp) else { throw .invalidTimestamp }
        guard abs(now.timeIntervalSince1970 - Double(seconds)) <= toleranceSeconds else {
            throw .timestampOutOfTolerance
        }
        guard let key = key(fromSecret: secret) else { throw .invalidSecret }
        var content = Data("\(id).\(seconds).".utf8)
        content.append(contentsOf: body)
        for candidate in signatures.split(separator: " ") {
            let parts = candidate.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let given = Data(base64Encoded: String(parts[1])) else {
                continue
            }
            if HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: content, using: key) { return }
        }
        throw .noMatchingSignature
    }
}
