import ArgumentParser

/// The `callcredits` command: the service and the operator's tools around it.
@main
struct CallCredits: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "callcredits",
        abstract: "The credits and billing engine of an AI outbound-calling platform.",
        subcommands: [Serve.self, Migrate.self, Verify.self, WorkspaceCommand.self, Simulate.self, Bench.self]
    )
}
