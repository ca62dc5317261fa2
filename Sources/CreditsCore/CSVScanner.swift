/// A small RFC 4180 reader over bytes in memory: one pass, no copy of a field unless it holds an escaped
/// quote (`""`), then into one reused buffer. Records end at LF, CRLF or a lone CR; a UTF-8 BOM is skipped.
struct CSVScanner {
    private struct Field {
        var start: Int
        var end: Int
        /// The field holds `""` pairs that stand for one quote each.
        var escaped: Bool
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position: Int
    private var fields: [Field] = []
    private var scratch: [UInt8] = []
    /// The current record has a quoted field followed by something other than a delimiter.
    private(set) var malformed = false
    /// The current record has a quoted field that runs to the end of the input.
    private(set) var unterminated = false

    private static let quote: UInt8 = 0x22
    private static let comma: UInt8 = 0x2C
    private static let lineFeed: UInt8 = 0x0A
    private static let carriageReturn: UInt8 = 0x0D

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        position = bom ? 3 : 0
        fields.reserveCapacity(16)
    }

    /// Fields in the current record.
    var fieldCount: Int { fields.count }

    /// Whether the current record is an empty line.
    var isBlank: Bool { fields.count == 1 && fields[0].start == fields[0].end && !unterminated }

    /// Reads the next record; false at the end of the input.
    mutating func nextRecord() -> Bool {
        fields.removeAll(keepingCapacity: true)
        malformed = false
        unterminated = false
        guard position < bytes.count else { return false }
        while true {
            readField()
            guard position < bytes.count else { return true }
            let byte = bytes[position]
            position += 1
            if byte == Self.comma {
                if position == bytes.count {
                    fields.append(Field(start: position, end: position, escaped: false))
                    return true
                }
                continue
            }
            if byte == Self.carriageReturn && position < bytes.count && bytes[position] == Self.lineFeed {
                position += 1
            }
            return true
        }
    }

    /// Reads one field and leaves `position` at its delimiter (or the end).
    private mutating func readField() {
        let count = bytes.count
        guard position < count, bytes[position] == Self.quote else {
            let start = position
            while position < count {
                let byte = bytes[position]
                if byte == Self.comma || byte == Self.lineFeed || byte == Self.carriageReturn { break }
                position += 1
            }
            fields.append(Field(start: start, end: position, escaped: false))
            return
        }
        position += 1
        let start = position
        var escaped = false
        while true {
            while position < count && bytes[position] != Self.quote { position += 1 }
            guard position < count else {
                unterminated = true
                fields.append(Field(start: start, end: count, escaped: escaped))
                return
            }
            if position + 1 < count && bytes[position + 1] == Self.quote {
                escaped = true
                position += 2
                continue
            }
            fields.append(Field(start: start, end: position, escaped: escaped))
            position += 1
            break
        }
        // After the closing quote only a delimiter may follow; anything else is skipped and reported.
        while position < count {
            let byte = bytes[position]
            if byte == Self.comma || byte == Self.lineFeed || byte == Self.carriageReturn { break }
            malformed = true
            position += 1
        }
    }

    /// Calls `body` with the field's bytes, quotes removed and `""` read as `"`.
    mutating func withField<T>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        let field = fields[index]
        let raw = UnsafeBufferPointer(rebasing: bytes[field.start..<field.end])
        guard field.escaped else { return body(raw) }
        scratch.removeAll(keepingCapacity: true)
        var index = 0
        while index < raw.count {
            scratch.append(raw[index])
            index += raw[index] == Self.quote ? 2 : 1
        }
        return scratch.withUnsafeBufferPointer(body)
    }
}
