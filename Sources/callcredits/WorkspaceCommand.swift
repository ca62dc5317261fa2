import ArgumentParser
import CreditsServer
import CreditsStore
import Foundation

/// `callcredits workspace …`: the operator's workspace tools.
struct WorkspaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace", abstract: "Manage workspaces.", subcommands: [Create.self, PortalPassword.self])

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

    /// `callcredits workspace portal-password`: gives the workspace's owner a portal sign-in (password on stdin).
    struct PortalPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "portal-password",
            abstract: "Set the workspace owner's portal email and password (the password is read from stdin).")

        @OptionGroup var options: DatabaseOptions
        @Option(help: "The workspace's id.") var workspace: String
        @Option(help: "The email the owner signs in with.") var email: String

        func run() async throws {
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                throw ValidationError("write the password on stdin")
            }
            try await options.withStore { store in
                try await PortalAccounts.setOwnerPassword(
                    store: store, workspaceId: workspace, email: email, password: password,
                    cost: PortalConfiguration().passwordCost, now: Date())
            }
            print("portal sign-in set for \(email) in \(workspace)")
        }
    }
}
