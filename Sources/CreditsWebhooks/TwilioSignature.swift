import Crypto
import Foundation

/// Twilio's request signature (`X-Twilio-Signature`), as Twilio documents it: take the full URL the
/// request was sent to (with its query string), append each form parameter's name and value sorted by
/// name, sign the string with HMAC-SHA1 keyed by the account's auth token, and base64-encode the result.
public enum TwilioSignature {
    /// The header Twilio puts the signature in.
    public static let headerName = "X-Twilio-Signature"

    /// The string Twilio signs: the URL, then every parameter as name+value, sorted by name and, for a
    /// repeated name, by value (byte order, as Twilio's helper libraries sort).
    public static func signedString(url: String, parameters: [(name: String, value: String)]) -> String {
        let sorted = parameters.sorted { lhs, rhs in
            if lhs.name != rhs.name { return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
            return lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
        }
        var text = url
        for parameter in sorted {
            text += parameter.name
            text += parameter.value
        }
        return text
    }

    /// The base64 signature Twilio sends for this URL and these form parameters.
    public static func compute(authToken: String, url: String, parameters: [(name: String, value: String)]) -> String {
        let key = SymmetricKey(data: Data(authToken.utf8))
        let code = HMAC<Insecure.SHA1>.authenticationCode(
            for: Data(signedString(url: url, parameters: parameters).utf8), using: key)
        return Data(code).base64EncodedString()
    }

    /// The same, for parameters held in a dictionary (a form without repeated names).
    public static func compute(authToken: String, url: String, parameters: [String: String]) -> String {
        compute(authToken: authToken, url: url, parameters: parameters.map { (name: $0.key, value: $0.value) })
    }

    /// Whether `signature` is the one Twilio would send. The comparison takes the same time wherever the
    /// strings differ, so a caller cannot find the signature byte by byte from response times.
    public static func isValid(
        signature: String, authToken: String, url: String, parameters: [(name: String, value: String)]
    ) -> Bool {
        constantTimeEquals(compute(authToken: authToken, url: url, parameters: parameters), signature)
    }

    /// Dictionary form of `isValid(signature:authToken:url:parameters:)`.
    public static func isValid(signature: String, authToken: String, url: String, parameters: [String: String])
        -> Bool
    {
        isValid(
            signature: signature, authToken: authToken, url: url,
            parameters: parameters.map { (name: $0.key, value: $0.value) })
    }

    /// Compares two strings in time that depends only on their lengths (which are not secret: a
    /// signature is always 28 base64 characters).
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices {
            difference |= left[index] ^ right[index]
        }
        return difference == 0
    }
}
