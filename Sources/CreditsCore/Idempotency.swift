import Foundation

/// The first result of a write that a client may repeat, stored under its idempotency key.
public struct IdempotencyRecord: Hashable, Sendable, Codable {
    public var workspaceId: WorkspaceID
    public var key: String
    /// What the first request asked for; a repeat must ask for the same.
    public var fingerprint: String
    /// The first result, encoded as JSON.
    public var result: Data
    public var createdAt: Date

    public init(workspaceId: WorkspaceID, key: String, fingerprint: String, result: Data, createdAt: Date) {
        self.workspaceId = workspaceId
        self.key = key
        self.fingerprint = fingerprint
        self.result = result
        self.createdAt = createdAt
    }

    /// The first result for a repeat, or a conflict when the repeat asks for something else.
    public func replay<Result: Decodable>(
        fingerprint requested: String, as type: Result.Type
    ) throws(LedgerRefusal) -> Result {
        guard requested == fingerprint else {
            throw LedgerRefusal(.idempotencyConflict, "idempotency key \(key) was used for a different request")
        }
        do {
            return try JSONDecoder.ledger.decode(Result.self, from: result)
        } catch {
            preconditionFailure("stored idempotent result for \(key) does not decode: \(error)")
        }
    }
}

extension JSONEncoder {
    /// The encoder for stored results: dates as milliseconds, so a replay returns them exactly.
    public static var ledger: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension JSONDecoder {
    public static var ledger: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }
}
