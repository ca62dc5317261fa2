import ArgumentParser
import CreditsStore

/// `callcredits workspace …`: the operator's workspace tools.
struct WorkspaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace", abstract: "Manage workspaces.", subcommands: [Create.self])

    /// `callcredits workspace create`: a workspace, its pool wallet and its first API key (printed once).
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a workspace and print its first API key (shown once).")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "The workspace's name.") var name: String
        @Option(help: "IANA time zone for billing cycles and calling hours.") var timeZone = "UTC"

        func run() async throws {
            let (secret, key) = APIKeySecret.generate(name: "first key")
            let created = try await options.withStore { store in
                try await store.createWorkspace(NewWorkspace(name: name, timeZone: timeZone, firstKey: key))
            }
            print("workspace: \(created.workspace.id)")
            print("pool wallet: \(created.pool.id)")
            print("api key: \(secret)")
        }
    }
}
