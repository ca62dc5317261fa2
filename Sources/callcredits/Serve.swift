import ArgumentParser

/// `callcredits serve`: the HTTP API and the background services, until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the service.")
    func run() async throws {}
}
