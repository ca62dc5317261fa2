import ArgumentParser

/// `callcredits verify`: recomputes every lot and hold from the entries; non-zero exit on any disagreement.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute every balance from the ledger entries and report what disagrees.")

    @OptionGroup var options: DatabaseOptions

    func run() async throws {
        let problems = try await options.withStore { store in try await store.verify() }
        guard problems.isEmpty else {
            for problem in problems { print("MISMATCH \(problem)") }
            print("verify: \(problems.count) discrepancies")
            throw ExitCode(1)
        }
        print("verify: clean")
    }
}
