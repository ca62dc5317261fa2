import Foundation

/// RFC 3339 dates with milliseconds, the one date format of the HTTP API.
enum RFC3339 {
    /// Formats `date` as `2026-01-01T00:00:00.000Z`, cut (not rounded) to the millisecond,
    /// so a result replayed from the idempotency store (kept in milliseconds) prints the same.
    static func string(from date: Date) -> String {
        let millis = (date.timeIntervalSince1970 * 1000).rounded(.down)
        return Date(timeIntervalSince1970: millis / 1000)
            .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Parses an RFC 3339 timestamp with or without fractional seconds; nil when it is not one.
    static func date(from string: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(string) {
            return date
        }
        return try? Date.ISO8601FormatStyle().parse(string)
    }
}

extension JSONEncoder {
    /// The API's response encoder: RFC 3339 dates with milliseconds, keys sorted for stable bodies.
    static var api: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        return encoder
    }
}

extension JSONDecoder {
    /// The API's request decoder: dates must be RFC 3339 strings.
    static var api: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.date(from: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an RFC 3339 date such as 2026-01-01T00:00:00Z")
            }
            return date
        }
        return decoder
    }
}
