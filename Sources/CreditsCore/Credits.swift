/// A whole number of credits. Credits are indivisible: one connected call attempt costs one credit.
public struct Credits: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The count of credits; may be negative only in signed deltas (adjustments), never in a balance.
    public var count: Int64

    /// Creates a credit amount from a count.
    public init(_ count: Int64) { self.count = count }

    public static let zero = Credits(0)
    public static let one = Credits(1)

    public static func < (lhs: Credits, rhs: Credits) -> Bool { lhs.count < rhs.count }
    public static func + (lhs: Credits, rhs: Credits) -> Credits { Credits(lhs.count + rhs.count) }
    public static func - (lhs: Credits, rhs: Credits) -> Credits { Credits(lhs.count - rhs.count) }
    public static func += (lhs: inout Credits, rhs: Credits) { lhs.count += rhs.count }
    public static func -= (lhs: inout Credits, rhs: Credits) { lhs.count -= rhs.count }
    public static prefix func - (value: Credits) -> Credits { Credits(-value.count) }

    public var description: String { String(count) }

    public init(from decoder: any Decoder) throws {
        self.count = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(count)
    }
}

extension Credits: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self.count = value }
}

extension Sequence {
    /// The sum of the credits that `amount` picks from each element.
    public func sum(_ amount: (Element) -> Credits) -> Credits {
        reduce(into: Credits.zero) { $0 += amount($1) }
    }
}
