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
            var sources: [String: AdminSourceSummary]?
            var outbox: AdminOutboxSummary?
            if client.token != nil {
                sources = try await client.sources()
                outbox = try await client.outbox()
            }
            if json {
                Console.printLine(
                    JSONWriter.string(
                        .object([
                            "readiness": readiness, "sources": sources.map(JSONValue.encoding) ?? .null,
                            "outbox": outbox.map(JSONValue.encoding) ?? .null,
                        ])))
            } else {
                for line in Self.table(readiness: readiness, sources: sources, outbox: outbox) { Console.printLine(line) }
            }
            if !ready { throw ExitCode(2) }
        } catch let error as AdminClientError {
            throw error.exit()
        }
    }

    static func table(readiness: JSONValue, sources: [String: AdminSourceSummary]?, outbox: AdminOutboxSummary?) -> [String] {
        func flag(_ value: JSONValue?) -> String { value?.boolValue == true ? "ok" : "FAILING" }
        var lines = [
            "bridge: \(readiness["ready"]?.boolValue == true ? "ready" : "NOT READY")  store: \(flag(readiness["store"]))  kafka: \(flag(readiness["kafka"]))"
        ]
        if let replica = readiness["replica"], let id = replica["id"]?.stringValue {
            // Replicas coordinated by Kafka: which coordination partitions this one polls.
            let owned = replica["partitions_owned"]?.arrayValue?.compactMap { $0.int64Value.map(String.init) } ?? []
            let restoring = replica["partitions_restoring"]?.int64Value ?? 0
            lines.append(
                "replica: \(Console.column(id, 20)) owns \(owned.count) partition(s): \(owned.isEmpty ? "none" : owned.joined(separator: ","))"
                    + (restoring > 0 ? ", \(restoring) restoring" : ""))
        }
        if let outbox {
            lines.append(
                "outbox: \(outbox.depth) pending, oldest \(outbox.oldestAgeSeconds) s"
                    + (outbox.quarantined > 0 ? ", \(outbox.quarantined) quarantined (convobridge quarantine list)" : ""))
        }
        lines.append("SOURCE               READY  CIRCUIT  PAUSED  WATCHED  RETIRED  VANISHED  IN FLIGHT  DUE  LAG P99  LAST SUCCESS")
        for member in readiness["sources"]?.objectValue?.members ?? [] {
            let health = member.value
            let counts = sources?[member.key]
            lines.append(
                [
                    Console.column(member.key, 20), Console.column(health["ready"]?.boolValue == true ? "yes" : "no", 5),
                    Console.column(health["circuit_open"]?.boolValue == true ? "open" : "closed", 7),
                    Console.column(counts.map { $0.paused ? "yes" : "no" } ?? "-", 6),
                    Console.column(counts.map { "\($0.watched)" } ?? "-", 7), Console.column(counts.map { "\($0.retired)" } ?? "-", 7),
                    Console.column(counts.map { "\($0.vanished)" } ?? "-", 8), Console.column(counts.map { "\($0.inFlight)" } ?? "-", 9),
                    Console.column(counts.map { "\($0.dueNow)" } ?? "-", 4),
                    Console.column(counts?.pollLagP99Seconds.map { "\($0) s" } ?? "-", 7),
                    health["last_success"]?.stringValue ?? "never",
                ].joined(separator: " "))
        }
        if sources == nil { lines.append("(set CONVOBRIDGE_ADMIN_TOKEN or --token-file for the watch counts and the outbox)") }
        return lines
    }
}
