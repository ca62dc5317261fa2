import ArgumentParser

/// `callcredits migrate`: creates or upgrades the schema.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema.")

    @OptionGroup var options: DatabaseOptions

    func run() async throws {
        try await options.withStore { _ in }
        print("migrated \(options.resolved.redactingPassword)")
    }
}

extension String {
    /// A database location safe to print: a URL's password replaced by `***`.
    var redactingPassword: String {
        guard let at = firstIndex(of: "@"), let scheme = range(of: "://"), scheme.upperBound < at,
            let colon = self[scheme.upperBound..<at].firstIndex(of: ":")
        else { return self }
        return String(self[..<index(after: colon)]) + "***" + String(self[at...])
    }
}
