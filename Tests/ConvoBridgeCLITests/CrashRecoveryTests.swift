import ConvoBridgeCore
import Foundation
import Testing

/// The built binaries as an operator runs them: `kafka-dev`, `simulate` and `run`, each its own process.
@Suite("convobridge run, black box: kill -9 and restart", .serialized)
struct CrashRecoveryTests {
    struct Change {
        var at: String
        var conversation: String
        var kind: String
    }

    /// `simulator change` log lines: `… at=… conversation_id=… kind=… number=…`.
    static func changes(in log: String) -> [Change] {
        log.split(separator: "\n").filter { $0.contains("simulator change") }.compactMap { line in
            var fields: [String: String] = [:]
            for token in line.split(separator: " ") {
                let parts = token.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            guard let at = fields["at"], let conversation = fields["conversation_id"], let kind = fields["kind"] else { return nil }
            return Change(at: at, conversation: conversation, kind: kind)
        }
    }

    static let eventOfChange = ["closed": "conversation.closed", "ended_reason_changed": "conversation.ended_reason_changed",
                                "reopened": "conversation.reopened", "deleted": "conversation.vanished"]

    @Test("kill -9 three times with transitions in flight, restarts: no transition lost, no gap, duplicates keep their ce_id", .timeLimit(.minutes(3)))
    func killAndRestart() async throws {
        let binary = try ProcessRunner.convobridge
        let kcat = try ProcessRunner.program("kcat")
        let scratch = try Scratch("crash")
        defer { scratch.remove() }
        func path(_ name: String) -> String { scratch.path(name) }
        // 12 conversations, a lifecycle step every 150 ms, 144 steps: ~22 s of changes.
        let processes = try await BrokerAndSimulator.start(binary, in: scratch, simulate: ["--population", "12", "--seed", "11",
                                                         "--advance-every", "0.15", "--advance-steps", "1", "--advance-limit", "144"])
        defer { processes.stop() }
        let (bootstrap, url) = (processes.bootstrap, processes.url)

        for (name, value) in [("api-key", "sim-api-key"), ("client-secret", "sim-client-secret")] {
            try value.write(toFile: path(name), atomically: true, encoding: .utf8)
        }
        try """
            store:
              path: \(path("bridge.sqlite"))
            kafka:
              bootstrap_servers: \(bootstrap)
            relay:
              drain_deadline: 2s
            sources:
              - name: jelou-crash
                base_url: \(url)/jelouapi
                project_id: sim-project
                auth:
                  api_key_file: \(path("api-key"))
                  client_id: sim-client
                  client_secret_file: \(path("client-secret"))
                advisor:
                  api_base_url: \(url)
                  interval: 200ms
                  lookback: 2h
                schedule:
                  open_interval: 100ms
                  closed_interval: 100ms
                  closed_grace: 5m
                  not_found_recheck: 100ms
                  failure_backoff: 100ms
                  max_failure_backoff: 1s
                  jitter: 0
                  vanish_after: 2
                http:
                  requests_per_second: 500
                  burst: 100
                  max_concurrent: 8
            """.write(toFile: path("bridge.yaml"), atomically: true, encoding: .utf8)

        let check = try await ProcessRunner.run(binary, ["run", "--config", path("bridge.yaml"), "--check"])
        #expect(check.status == 0, "\(check.stderr)")

        // Three kills at random moments (the seed is printed, to replay a failure), each followed by a restart.
        let seed = UInt64.random(in: 1...UInt64.max)
        print("crash test: seed \(seed)")
        var random = SplitMix64(seed: seed)
        var blindWindows: [ClosedRange<Date>] = []
        var bridge = try ProcessRunner.start(binary, ["run", "--config", path("bridge.yaml")], stderr: path("bridge-1.log"))
        for run in 2...4 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 2500...4500, using: &random)))
            let killedAt = Date()
            kill(bridge.processIdentifier, SIGKILL)
            try await ProcessRunner.waitForExit(bridge)
            #expect(bridge.terminationReason == .uncaughtSignal)
            try await Task.sleep(for: .milliseconds(Int.random(in: 200...1500, using: &random)))
            blindWindows.append(killedAt.addingTimeInterval(-1)...Date().addingTimeInterval(1))
            bridge = try ProcessRunner.start(binary, ["run", "--config", path("bridge.yaml")], stderr: path("bridge-\(run).log"))
        }
        let second = bridge
        // Let the simulator finish its steps and the bridge observe the last of them.
        try await ProcessRunner.waitForText("simulator lifecycle steps done", inFile: path("simulator.log"), timeout: .seconds(60))
        try await Task.sleep(for: .seconds(3))
        kill(second.processIdentifier, SIGTERM)
        try await ProcessRunner.waitForExit(second)
        #expect(second.terminationStatus == 0, "graceful stop")

        let consumed = try await ProcessRunner.run(kcat, ["-b", bootstrap, "-C", "-t", "conversation-events", "-o", "beginning", "-e", "-q",
                                                          "-f", "%k\t%h\t%s\n"], timeout: .seconds(60))
        #expect(consumed.status == 0, "\(consumed.stderr)")
        struct Event { var key: String; var id: String; var type: String; var value: String }
        let events: [Event] = consumed.stdout.split(separator: "\n").compactMap { line in
            let columns = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard columns.count == 3 else { return nil }
            var headers: [String: String] = [:]
            for pair in columns[1].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { headers[String(parts[0])] = String(parts[1]) }
            }
            return Event(key: String(columns[0]), id: headers["ce_id"] ?? "", type: headers["ce_type"] ?? "", value: String(columns[2]))
        }
        #expect(events.count > 20)

        let log = try String(contentsOfFile: path("simulator.log"), encoding: .utf8)
        let changes = Self.changes(in: log)
        #expect(changes.count >= 100, "the simulator made its changes (\(changes.count))")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // Changes made while no bridge ran (plus a margin for the poll in flight) may be seen combined; the rest must
        // each show up as their event.
        var checked = 0
        for conversation in Set(changes.map(\.conversation)) {
            let key = "jelou-crash/\(conversation)"
            let mine = events.filter { $0.key == key }
            // No gap: unique ids are 1...n; a duplicate is byte-identical.
            var unique: [String: String] = [:]
            for event in mine {
                if let earlier = unique[event.id] { #expect(earlier == event.value, "duplicate \(event.id) differs") }
                unique[event.id] = event.value
            }
            #expect(Set(unique.keys) == Set((0..<unique.count).map { "\(key)/\($0 + 1)" }), "\(key): gap in \(unique.keys.sorted())")
            let types = mine.reduce(into: [(String, String)]()) { seen, event in
                if !seen.contains(where: { $0.0 == event.id }) { seen.append((event.id, event.type)) }
            }.map(\.1)
            // Every change that lasted a while (the contract promises transitions that last at least a poll interval;
            // a loaded CI machine polls later than configured) and was made outside the blind window has its event,
            // in order.
            // Changes before the bridge discovered the conversation are part of what `discovered` carries.
            let discoveredAt = mine.first.flatMap { event in
                (try? JSONSerialization.jsonObject(with: Data(event.value.utf8))) as? [String: Any]
            }.flatMap { $0["observed_at"] as? String }.flatMap(formatter.date(from:)) ?? .distantFuture
            let all = changes.filter { $0.conversation == conversation }
            let visible = all.indices.filter { index in
                let change = all[index]
                guard Self.eventOfChange[change.kind] != nil, let at = formatter.date(from: change.at), !blindWindows.contains(where: { $0.contains(at) }),
                      at > discoveredAt else { return false }
                guard index + 1 < all.count, let next = formatter.date(from: all[index + 1].at) else { return true }
                return next.timeIntervalSince(at) >= 1.0
            }.map { all[$0] }
            var remaining = types[...]
            for change in visible {
                let wanted = Self.eventOfChange[change.kind]!
                guard let index = remaining.firstIndex(of: wanted) else {
                    Issue.record("\(key): no \(wanted) for the \(change.kind) at \(change.at); events: \(types)")
                    break
                }
                remaining = remaining[(index + 1)...]
                checked += 1
            }
            if changes.last(where: { $0.conversation == conversation })?.kind == "deleted" {
                #expect(types.last == "conversation.vanished", "\(key) ends vanished")
            }
        }
        print("crash test: \(checked) transitions checked")
        #expect(checked >= 12, "enough transitions were checked to mean something (\(checked))")
        let secondLog = try String(contentsOfFile: path("bridge-4.log"), encoding: .utf8)
        #expect(!secondLog.contains("sim-api-key") && !secondLog.contains("sim-client-secret"), "no secret in the logs")
    }
}
