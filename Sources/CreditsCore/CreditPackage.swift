import Foundation

public typealias PackageID = String

/// A package of credits in the operator's catalogue, bought through a payment provider.
public struct CreditPackage: Hashable, Sendable, Codable {
    public var id: PackageID
    public var name: String
    /// Credits the purchase adds as one lot.
    public var credits: Credits
    /// Price in the currency's minor unit (cents), never a floating-point amount.
    public var priceMinor: Int64
    /// ISO 4217 code, three upper-case letters ("USD").
    public var currency: String
    /// Days the credits stay valid after the payment is confirmed; nil: they never expire (the default).
    /// Never shorter than the rest of the billing period they were bought in (see `Purchases.lotExpiry`).
    public var validityDays: Int?
    /// Whether workspaces can buy it. A retired package stays for the purchases that name it.
    public var active: Bool

    public init(
        id: PackageID, name: String, credits: Credits, priceMinor: Int64, currency: String, validityDays: Int? = nil,
        active: Bool = true
    ) {
        self.id = id
        self.name = name
        self.credits = credits
        self.priceMinor = priceMinor
        self.currency = currency
        self.validityDays = validityDays
        self.active = active
    }

    /// Checks the package's fields; every message is stable.
    public func validate() throws(LedgerRefusal) {
        try Limits.checkIdentifier(id, field: "package id")
        guard !name.isEmpty, name.count <= Limits.planNameLengthMax else {
            throw .invalid("package name must be 1 to \(Limits.planNameLengthMax) characters")
        }
        guard credits > .zero, credits.count <= Limits.grantAmountMax else {
            throw .invalid("credits must be between 1 and \(Limits.grantAmountMax)")
        }
        guard (0...Limits.planPriceMinorMax).contains(priceMinor) else {
            throw .invalid("priceMinor must be between 0 and \(Limits.planPriceMinorMax)")
        }
        try Limits.checkCurrency(currency)
        if let validityDays, !(1...Limits.packageValidityDaysMax).contains(validityDays) {
            throw .invalid(
                "validityDays must be between 1 and \(Limits.packageValidityDaysMax), or absent for no expiry")
        }
    }
}
