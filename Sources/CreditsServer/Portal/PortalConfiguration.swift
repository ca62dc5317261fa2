/// The portal's settings: cookies, sessions, password hashing.
public struct PortalConfiguration: Sendable {
    /// Adds `Secure` to the cookies: set it when the portal is served over HTTPS (behind a proxy too).
    public var secureCookies: Bool
    /// How long a session lasts from sign-in (absolute, no sliding): 12 hours by default.
    public var sessionSeconds: Double
    /// bcrypt's cost for new password hashes (4…31); 12 by default. Tests lower it.
    public var passwordCost: UInt8

    public init(secureCookies: Bool = false, sessionSeconds: Double = 12 * 3600, passwordCost: UInt8 = 12) {
        precondition((4...31).contains(passwordCost), "bcrypt cost must be 4…31")
        precondition(sessionSeconds > 0)
        self.secureCookies = secureCookies
        self.sessionSeconds = sessionSeconds
        self.passwordCost = passwordCost
    }
}
