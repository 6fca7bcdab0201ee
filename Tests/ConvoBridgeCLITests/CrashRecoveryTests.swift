import ConvoBridgeCore
import ConvoBridgeTestSupport
import Foundation
import Testing

/// The built binaries as an operator runs them: `kafka-dev`, `simulate` and `run`, each its own process.
@Suite("convobridge run, black box: kill -9 and restart", .serialized)
struct CrashRecoveryTests {
    static let adminToken = "crash-admin-token-0123456789abcdef0123"

    struct Change {
        var at: String
        var conversation: String
        var kind: String
        /// Whether the conversation has a human agent after the change: only those are in the Advisor list.
        var assigned: Bool
    }

    /// `simulator change` log lines: `… assigned=… at=… conversation_id=… kind=… number=…`.
    static func changes(in log: String) -> [Change] {
        log.split(separator: "\n").filter { $0.contains("simulator change") }.compactMap { line in
            var fields: [String: String] = [:]
            for token in line.split(separator: " ") {
                let parts = token.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            guard let at = fields["at"], let conversation = fields["conversation_id"], let kind = fields["kind"] else { return nil }
            return Change(at: at, conversation: conversation, kind: kind, assigned: fields["assigned"] == "true")
        }
    }

    static let eventOfChange = [
        "closed": "conversation.closed", "ended_reason_changed": "conversation.ended_reason_changed",
        "reopened": "conversation.reopened", "deleted": "conversation.vanished",
    ]

    @Test(
        "kill -9 three times with transitions in flight, restarts: no transition lost, no gap, duplicates keep their ce_id", .timeLimit(.minutes(3)))
    func killAndRestart() async throws {
        let binary = try ProcessRunner.convobridge
        let kcat = try ProcessRunner.program("kcat")
        let scratch = try Scratch("crash")
        defer { scratch.remove() }
        func path(_ name: String) -> String { scratch.path(name) }
        // 12 conversations, a lifecycle step every 300 ms, 120 steps: 36 s of changes, the last 15 s or so after the kills.
        let processes = try await BrokerAndSimulator.start(
            binary, in: scratch,
            simulate: [
                "--population", "12", "--seed", "11",
                "--advance-every", "0.3", "--advance-steps", "1", "--advance-limit", "120",
            ])
        defer { processes.stop() }
        let (bootstrap, url) = (processes.bootstrap, processes.url)

        for (name, value) in [("api-key", "sim-api-key"), ("client-secret", "sim-client-secret"), ("admin-token", Self.adminToken)] {
            try value.write(toFile: path(name), atomically: true, encoding: .utf8)
        }
        try """
        store:
          path: \(path("bridge.sqlite"))
        kafka:
          bootstrap_servers: \(bootstrap)
        relay:
          drain_deadline: 2s
        server:
          listen: 127.0.0.1:0
          admin_token_file: \(path("admin-token"))
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

        let check = try await ChildProcess.run(binary, ["run", "--config", path("bridge.yaml"), "--check"])
        #expect(check.status == 0, "\(check.stderr)")

        // Three kills at random moments, each followed by a restart. The seed is printed; CONVOBRIDGE_CRASH_SEED
        // replays it.
        let seed = ProcessInfo.processInfo.environment["CONVOBRIDGE_CRASH_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        print("crash test: seed \(seed)")
        var random = SplitMix64(seed: seed)
        // While no bridge runs, from each kill until the next bridge is up (its HTTP server listening, by its own log:
        // a loaded machine takes seconds to start a process), plus a margin for the first polls. The simulator
        // changes conversations from before the first start.
        var bridge = try ProcessRunner.start(binary, ["run", "--config", path("bridge.yaml")], stderr: path("bridge-1.log"))
        var blindWindows = [Date.distantPast...(try await Self.startedAt(log: path("bridge-1.log")) + Self.startMargin)]
        for run in 2...4 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 2500...4500, using: &random)))
            let killedAt = Date()
            kill(bridge.processIdentifier, SIGKILL)
            try await ProcessRunner.waitForExit(bridge)
            #expect(bridge.terminationReason == .uncaughtSignal)
            try await Task.sleep(for: .milliseconds(Int.random(in: 200...1500, using: &random)))
            bridge = try ProcessRunner.start(binary, ["run", "--config", path("bridge.yaml")], stderr: path("bridge-\(run).log"))
            blindWindows.append(killedAt.addingTimeInterval(-1)...(try await Self.startedAt(log: path("bridge-\(run).log")) + Self.startMargin))
        }
        print("crash test: blind \(blindWindows.dropFirst().map { String(format: "%.1f s", $0.upperBound.timeIntervalSince($0.lowerBound)) })")
        let second = bridge
        // Let the simulator finish its steps, the bridge observe the last of them (30 poll intervals), and the outbox
        // drain: on a loaded machine the relay may be behind, and what a stop leaves is only published on a next start.
        try await ProcessRunner.waitForText("simulator lifecycle steps done", inFile: path("simulator.log"), timeout: .seconds(60))
        try await Task.sleep(for: .seconds(3))
        let admin = try Self.adminURL(inLog: path("bridge-4.log"))
        let depth = try await Self.waitForEmptyOutbox(binary, admin: admin, tokenFile: path("admin-token"), timeout: .seconds(60))
        #expect(depth == 0, "the outbox drained (\(depth) left)")
        kill(second.processIdentifier, SIGTERM)
        try await ProcessRunner.waitForExit(second)
        #expect(second.terminationStatus == 0, "graceful stop")

        let consumed = try await ChildProcess.run(
            kcat,
            [
                "-b", bootstrap, "-C", "-t", "conversation-events", "-o", "beginning", "-e", "-q",
                "-f", "%k\t%T\t%h\t%s\n",
            ], timeout: .seconds(60))
        #expect(consumed.status == 0, "\(consumed.stderr)")
        struct Event {
            var key: String
            var id: String
            var type: String
            var value: String
        }
        let events: [Event] = consumed.stdout.split(separator: "\n").compactMap { line in
            let columns = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            guard columns.count == 4 else { return nil }
            var headers: [OutboundRecord.Header] = []
            for pair in columns[2].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { headers.append(.init(name: String(parts[0]), value: String(parts[1]))) }
            }
            // Checked against the contract's schemas after the run, with the other suites' records.
            ContractCapture.shared.record(
                topic: "conversation-events", partition: -1, offset: -1, timestamp: Int64(columns[1]),
                key: String(columns[0]), headers: headers, value: Array(columns[3].utf8))
            return Event(
                key: String(columns[0]), id: headers.text(of: "ce_id") ?? "", type: headers.text(of: "ce_type") ?? "",
                value: String(columns[3]))
        }
        #expect(events.count > 20)

        let log = try String(contentsOfFile: path("simulator.log"), encoding: .utf8)
        let changes = Self.changes(in: log)
        #expect(changes.count >= 100, "the simulator made its changes (\(changes.count))")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // Changes made while no bridge ran (plus a margin for the poll in flight) may be seen combined; the rest must
        // each show up as their event.
        let lastChange = changes.last.flatMap { formatter.date(from: $0.at) } ?? .distantPast
        var checked = 0
        var failures: [String] = []
        func verify(_ holds: Bool, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
            guard !holds else { return }
            failures.append(message())
            Issue.record(Comment(rawValue: message()), sourceLocation: sourceLocation)
        }
        for conversation in Set(changes.map(\.conversation)) {
            let key = "jelou-crash/\(conversation)"
            let mine = events.filter { $0.key == key }
            // No gap: unique ids are 1...n; a duplicate is byte-identical.
            var unique: [String: String] = [:]
            for event in mine {
                if let earlier = unique[event.id] { verify(earlier == event.value, "duplicate \(event.id) differs") }
                unique[event.id] = event.value
            }
            verify(Set(unique.keys) == Set((0..<unique.count).map { "\(key)/\($0 + 1)" }), "\(key): gap in \(unique.keys.sorted())")
            let types = mine.reduce(into: [(String, String)]()) { seen, event in
                if !seen.contains(where: { $0.0 == event.id }) { seen.append((event.id, event.type)) }
            }.map(\.1)
            // Every change that lasted a while (the contract promises transitions that last at least a poll interval;
            // a loaded CI machine polls later than configured) and was made outside the blind window has its event,
            // in order.
            // Changes before the bridge discovered the conversation are part of what `discovered` carries.
            let discoveredAt =
                mine.first.flatMap { event in
                    (try? JSONSerialization.jsonObject(with: Data(event.value.utf8))) as? [String: Any]
                }.flatMap { $0["observed_at"] as? String }.flatMap(formatter.date(from:)) ?? .distantFuture
            let all = changes.filter { $0.conversation == conversation }
            let visible = all.indices.filter { index in
                let change = all[index]
                guard Self.eventOfChange[change.kind] != nil, let at = formatter.date(from: change.at),
                    !blindWindows.contains(where: { $0.contains(at) }),
                    at > discoveredAt
                else { return false }
                guard index + 1 < all.count, let next = formatter.date(from: all[index + 1].at) else { return true }
                return next.timeIntervalSince(at) >= 1.0
            }.map { all[$0] }
            var remaining = types[...]
            for change in visible {
                let wanted = Self.eventOfChange[change.kind]!
                guard let index = remaining.firstIndex(of: wanted) else {
                    verify(false, "\(key): no \(wanted) for the \(change.kind) at \(change.at); events: \(types)")
                    break
                }
                remaining = remaining[(index + 1)...]
                checked += 1
            }
            if types.isEmpty {
                // Never discovered: it must have been listed only while no bridge ran.
                let listed = Self.listedIntervals(all.compactMap { change in formatter.date(from: change.at).map { (change, $0) } }, end: lastChange)
                let seen = listed.first { interval in Self.longestStretch(of: interval, outside: blindWindows) >= Self.startMargin }
                verify(seen == nil, "\(key) never discovered, though listed from \(seen.map { "\($0.lowerBound) to \($0.upperBound)" } ?? "")")
            } else if all.last?.kind == "deleted" {
                verify(types.last == "conversation.vanished", "\(key) ends vanished; events: \(types)")
            }
        }
        print("crash test: \(checked) transitions checked")
        verify(checked >= 15, "enough transitions were checked to mean something (\(checked))")
        if failures.count > 0 {
            // What the bridges said, to tell a bridge fault from a test-machine hiccup.
            for run in 1...4 {
                let lines = (try? String(contentsOfFile: path("bridge-\(run).log"), encoding: .utf8))?.split(separator: "\n") ?? []
                let notable = lines.filter { !$0.contains(" info ") && !$0.contains(" debug ") && !$0.contains(" trace ") }
                print("crash test: bridge-\(run).log, \(lines.count) lines, of which not info:\n" + notable.suffix(40).joined(separator: "\n"))
            }
        }
        let lastLog = try String(contentsOfFile: path("bridge-4.log"), encoding: .utf8)
        #expect(
            !lastLog.contains("sim-api-key") && !lastLog.contains("sim-client-secret") && !lastLog.contains(Self.adminToken),
            "no secret in the logs")
    }

    /// How long after a bridge is up its first discovery and polls may take on a loaded machine.
    static let startMargin: TimeInterval = 2

    /// When a bridge was up: the time on its `HTTP server listening` log line (waited for, at most 60 s).
    static func startedAt(log: String) async throws -> Date {
        try await ProcessRunner.waitForText("HTTP server listening", inFile: log, timeout: .seconds(60))
        let line = try listeningLine(inLog: log)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let stamp = line.split(separator: " ").first, let date = formatter.date(from: String(stamp)) else {
            throw ProcessRunner.Failure(description: "no time on \(line)")
        }
        return date
    }

    /// The admin URL a bridge logged on start (its server listens on a free port).
    static func adminURL(inLog log: String) throws -> String {
        let line = try listeningLine(inLog: log)
        guard let url = line.split(separator: " ").first(where: { $0.hasPrefix("url=") })?.dropFirst(4) else {
            throw ProcessRunner.Failure(description: "no url= in \(line)")
        }
        return String(url)
    }

    static func listeningLine(inLog log: String) throws -> Substring {
        let text = try String(contentsOfFile: log, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.contains("HTTP server listening") }) else {
            throw ProcessRunner.Failure(description: "no 'HTTP server listening' in \(log)")
        }
        return line
    }

    /// When a conversation was in the Advisor list (assigned and not deleted), from its changes in order; an interval
    /// still open at its last change ends at `end`.
    static func listedIntervals(_ changes: [(Change, Date)], end: Date) -> [ClosedRange<Date>] {
        var intervals: [ClosedRange<Date>] = []
        var since: Date?
        for (change, at) in changes {
            let listed = change.assigned && change.kind != "deleted"
            if listed, since == nil { since = at }
            if !listed, let start = since {
                intervals.append(start...at)
                since = nil
            }
        }
        if let since { intervals.append(since...max(since, end)) }
        return intervals
    }

    /// The longest part of `interval` (in seconds, to 100 ms) that no window covers.
    static func longestStretch(of interval: ClosedRange<Date>, outside windows: [ClosedRange<Date>]) -> TimeInterval {
        var longest: TimeInterval = 0
        var stretch: TimeInterval = 0
        var instant = interval.lowerBound
        while instant <= interval.upperBound {
            stretch = windows.contains { $0.contains(instant) } ? 0 : stretch + 0.1
            longest = max(longest, stretch)
            instant += 0.1
        }
        return longest
    }

    /// `status --json` until the outbox is empty or `timeout` has passed; returns the last depth seen.
    static func waitForEmptyOutbox(_ binary: URL, admin: String, tokenFile: String, timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let output = try await ChildProcess.run(binary, ["status", "--url", admin, "--token-file", tokenFile, "--json"])
            let status = (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [String: Any]
            let depth = ((status?["outbox"] as? [String: Any])?["depth"] as? Int) ?? -1
            if depth == 0 || ContinuousClock.now > deadline { return depth }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
