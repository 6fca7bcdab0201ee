import ArgumentParser
import ConvoBridgeCore
import ConvoBridgeHTTP
import Foundation

/// `convobridge watch add|remove|list`: the watch list of a running bridge, through its admin API.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Add, remove or list the conversations a running bridge polls (through the admin API).",
        subcommands: [Add.self, Remove.self, List.self]
    )

    /// Runs `action` for each id in turn, printing `done source/id`; the first failure ends the command.
    static func each(
        _ ids: [String], of source: String, done: String,
        _ action: (String) async throws(AdminClientError) -> AdminConversationResult
    ) async throws {
        for id in ids {
            do {
                _ = try await action(id)
                Console.printLine("\(done) \(source)/\(id)")
            } catch { throw error.exit() }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Watch conversations: each is polled at once, then on its source's schedule.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "The source's name (see convobridge status).") var source: String
        @Argument(help: "Conversation ids.") var ids: [String]

        func run() async throws {
            let client = try admin.client()
            try await WatchCommand.each(ids, of: source, done: "watching") { (id) throws(AdminClientError) in
                try await client.watch(source: source, conversationID: id)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop polling conversations (their snapshot and sequence are kept; add them again to resume).")
        @OptionGroup var admin: AdminOptions
        @Option(help: "The source's name.") var source: String
        @Argument(help: "Conversation ids.") var ids: [String]

        func run() async throws {
            let client = try admin.client()
            try await WatchCommand.each(ids, of: source, done: "removed") { (id) throws(AdminClientError) in
                try await client.unwatch(source: source, conversationID: id)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a source's watched conversations.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "The source's name.") var source: String
        @Flag(help: "Print the answer as JSON.") var json = false

        func run() async throws {
            let client = try admin.client()
            let list: [AdminWatchEntry]
            do { list = try await client.watchList(source: source) } catch { throw error.exit() }
            if json {
                Console.printLine(JSONWriter.string(.encoding(list)))
                return
            }
            Console.printLine("CONVERSATION                          STATUS    STATE         SEQUENCE  NEXT POLL")
            for entry in list {
                Console.printLine(
                    [
                        Console.column(entry.conversationID, 37), Console.column(entry.status ?? "-", 9), Console.column(entry.state ?? "-", 13),
                        Console.column("\(entry.lastSequence)", 9),
                        entry.vanished ? "vanished" : (entry.nextPollAt ?? "not polled (removed or retired)"),
                    ].joined(separator: " "))
            }
        }
    }
}
