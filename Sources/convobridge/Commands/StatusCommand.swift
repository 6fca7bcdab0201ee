import ArgumentParser
import ConvoBridgeCore
import ConvoBridgeHTTP
import Foundation

/// `convobridge status`: is the running bridge ready, and how are its sources and outbox.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running bridge's readiness, sources and outbox (through /readyz and the admin API).",
        discussion: """
            Readiness needs no token. Sources and the outbox need the admin token ($CONVOBRIDGE_ADMIN_TOKEN or \
            --token-file); without one only readiness is shown. Exit status: 0 ready, 2 not ready, 1 unreachable \
            or refused.
            """
    )

    @OptionGroup var admin: AdminOptions
    @Flag(help: "Print the answers as JSON instead of a table.") var json = false

    func run() async throws {
        let client = try admin.client()
        do {
            let (ready, readiness) = try await client.readiness()
            var sources: JSONValue?
            var outbox: JSONValue?
            if client.token != nil {
                sources = try await client.sources()
                outbox = try await client.outbox()
            }
            if json {
                Console.printLine(JSONWriter.string(.object(["readiness": readiness, "sources": sources ?? .null, "outbox": outbox ?? .null])))
            } else {
                for line in Self.table(readiness: readiness, sources: sources, outbox: outbox) { Console.printLine(line) }
            }
            if !ready { throw ExitCode(2) }
        } catch let error as AdminClientError {
            throw error.exit()
        }
    }

    static func table(readiness: JSONValue, sources: JSONValue?, outbox: JSONValue?) -> [String] {
        func flag(_ value: JSONValue?) -> String { value?.boolValue == true ? "ok" : "FAILING" }
        var lines = [
            "bridge: \(readiness["ready"]?.boolValue == true ? "ready" : "NOT READY")  store: \(flag(readiness["store"]))  kafka: \(flag(readiness["kafka"]))"
        ]
        if let outbox {
            let quarantined = outbox["quarantined"]?.int64Value ?? 0
            lines.append(
                "outbox: \(outbox["depth"]?.scalarText ?? "?") pending, oldest \(outbox["oldest_age_seconds"]?.scalarText ?? "?") s"
                    + (quarantined > 0 ? ", \(quarantined) quarantined (convobridge quarantine list)" : ""))
        }
        lines.append("SOURCE               READY  CIRCUIT  PAUSED  WATCHED  RETIRED  VANISHED  IN FLIGHT  DUE  LAG P99  LAST SUCCESS")
        for member in readiness["sources"]?.objectValue?.members ?? [] {
            let health = member.value
            let counts = sources?[member.key]
            lines.append(
                [
                    Console.column(member.key, 20), Console.column(health["ready"]?.boolValue == true ? "yes" : "no", 5),
                    Console.column(health["circuit_open"]?.boolValue == true ? "open" : "closed", 7),
                    Console.column(counts?["paused"]?.boolValue.map { $0 ? "yes" : "no" } ?? "-", 6),
                    Console.column(counts?["watched"]?.scalarText ?? "-", 7), Console.column(counts?["retired"]?.scalarText ?? "-", 7),
                    Console.column(counts?["vanished"]?.scalarText ?? "-", 8), Console.column(counts?["in_flight"]?.scalarText ?? "-", 9),
                    Console.column(counts?["due_now"]?.scalarText ?? "-", 4),
                    Console.column(counts?["poll_lag_p99_seconds"]?.scalarText.map { "\($0) s" } ?? "-", 7),
                    health["last_success"]?.stringValue ?? "never",
                ].joined(separator: " "))
        }
        if sources == nil { lines.append("(set CONVOBRIDGE_ADMIN_TOKEN or --token-file for the watch counts and the outbox)") }
        return lines
    }
}
