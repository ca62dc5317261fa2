import Crypto
import Foundation

/// Stripe's webhook signature (`Stripe-Signature`), as Stripe documents it: the header carries a timestamp
/// `t=<unix seconds>` and one or more `v1=<hex>` signatures; each is the HMAC-SHA256, keyed by the endpoint's
/// signing secret (`whsec_…`, used as UTF-8 bytes), of `"<t>.<raw body>"`. A signature is accepted when any `v1`
/// matches (Stripe sends several while a secret is being rolled) and the timestamp is within the tolerance of now.
public enum StripeSignature {
    /// The header Stripe puts the signature in.
    public static let headerName = "Stripe-Signature"
    /// Stripe's libraries default to five minutes.
    public static let defaultToleranceSeconds = 300

    /// Why a signature was refused.
    public enum Failure: Error, Hashable, Sendable {
        /// No `t=` with a number, or no `v1=` at all.
        case malformedHeader
        /// No `v1` signature matches the body and timestamp.
        case mismatch
        /// The timestamp is further than the tolerance from now (a replay, or a badly wrong clock).
        case outsideTolerance
    }

    /// The hex `v1` signature of `payload` sent at `timestamp`.
    public static func compute(secret: String, timestamp: Int64, payload: some DataProtocol) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(contentsOf: payload)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// The header Stripe would send for `payload` at `timestamp` (for tests and local fakes).
    public static func header(secret: String, timestamp: Int64, payload: some DataProtocol) -> String {
        "t=\(timestamp),v1=\(compute(secret: secret, timestamp: timestamp, payload: payload))"
    }

    /// Checks `header` against the raw body `payload`. The timestamp must lie within `toleranceSeconds` of `now`
    /// either way (Stripe's libraries only check the past; a timestamp from the future is refused too).
    public static func verify(
        payload: some DataProtocol, header: String, secret: String, toleranceSeconds: Int, now: Date
    ) throws(Failure) {
        var timestamp: Int64?
        var signatures: [String] = []
        for item in header.split(separator: ",") {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "t": timestamp = Int64(parts[1])
            case "v1": signatures.append(String(parts[1]))
            default: continue  // other schemes (v0 in test mode) are not checked
            }
        }
        guard let timestamp, !signatures.isEmpty else { throw .malformedHeader }
        let expected = compute(secret: secret, timestamp: timestamp, payload: payload)
        guard signatures.contains(where: { constantTimeEquals($0, expected) }) else { throw .mismatch }
        let age = now.timeIntervalSince1970 - Double(timestamp)
        guard abs(age) <= Double(toleranceSeconds) else { throw .outsideTolerance }
    }

    /// Compares two strings in time that depends only on their lengths (a signature is always 64 hex digits).
    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
