import ArgumentParser
import ConvoBridgeCore
import ConvoBridgeHTTP

/// `convobridge quarantine list|retry|drop`: records Kafka refused for good or that could not be read, through the
/// admin API of a running bridge.
struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "List, retry or drop the records a running bridge could not publish (through the admin API).",
        discussion: """
            A record Kafka refuses for good (larger than it accepts, invalid) or an outbox row that cannot be read is \
            moved to the quarantine; the later records of its conversation wait behind it. Retry after fixing the cause \
            (e.g. raising the topic's max.message.bytes), or drop it: its conversation's sequence then skips it.
            """,
        subcommands: [List.self, Retry.self, Drop.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the quarantined records.")
        @OptionGroup var admin: AdminOptions
        @Flag(help: "Print the answer as JSON.") var json = false

        func run() async throws {
            let client = try admin.client()
            let records: [AdminQuarantinedRecord]
            do { records = try await client.quarantine() } catch { throw error.exit() }
            if json { return Console.printLine(JSONWriter.string(.encoding(records))) }
            guard !records.isEmpty else { return Console.printLine("the quarantine is empty") }
            Console.printLine("ID        KEY                                  BYTES      QUARANTINED AT            REASON")
            for record in records {
                Console.printLine(
                    [
                        Console.column("\(record.id)", 9), Console.column(record.key ?? "-", 36), Console.column("\(record.sizeBytes)", 10),
                        Console.column(record.quarantinedAt, 25), record.reason,
                    ].joined(separator: " "))
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put quarantined records back in the outbox, ahead of their conversations' later records.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var selection: Selection

        func run() async throws { try await QuarantineCommand.apply(.retry, selection, admin, done: "put back") }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete quarantined records for good.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var selection: Selection

        func run() async throws { try await QuarantineCommand.apply(.drop, selection, admin, done: "dropped") }
    }

    struct Selection: ParsableArguments {
        @Flag(help: "Every quarantined record.") var all = false
        @Argument(help: "Quarantined record ids (see convobridge quarantine list).") var ids: [Int64] = []

        func validate() throws {
            if all == !ids.isEmpty { throw ValidationError("name record ids, or --all") }
        }
    }

    static func apply(_ action: AdminClient.QuarantineAction, _ selection: Selection, _ admin: AdminOptions, done: String) async throws {
        let client = try admin.client()
        let answer: AdminQuarantineResult
        do { answer = try await client.quarantine(action, ids: selection.all ? nil : selection.ids) } catch { throw error.exit() }
        Console.printLine("\(done) \(answer.records) record(s)")
    }
}
