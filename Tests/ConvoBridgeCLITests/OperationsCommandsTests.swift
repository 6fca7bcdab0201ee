import ConvoBridgeTestSupport
import Foundation
import Testing

/// `check-config`, `status` and `watch` as an operator runs them, against a running `convobridge run`, whose logs
/// are JSON lines.
@Suite("Operations commands, black box", .serialized)
struct OperationsCommandsTests {
    static let adminToken = "admin-token-for-cli-0123456789abcdef01"
    static let apiKey = "sim-api-key"

    @Test(
        "check-config prints effective settings with secrets masked and names a bad key; status and watch work through the admin API",
        .timeLimit(.minutes(2)))
    func operate() async throws {
        let binary = try ProcessRunner.convobridge
        let scratch = try Scratch("ops")
        defer { scratch.remove() }
        func path(_ name: String) -> String { scratch.path(name) }
        let processes = try await BrokerAndSimulator.start(binary, in: scratch, simulate: ["--population", "3", "--seed", "5"])
        defer { processes.stop() }
        let (bootstrap, url) = (processes.bootstrap, processes.url)

        try Self.apiKey.write(toFile: path("api-key"), atomically: true, encoding: .utf8)
        try Self.adminToken.write(toFile: path("admin-token"), atomically: true, encoding: .utf8)
        try """
        store:
          path: \(path("bridge.sqlite"))
        kafka:
          bootstrap_servers: \(bootstrap)
        server:
          listen: 127.0.0.1:0
          admin_token_env: OPS_ADMIN_TOKEN
        sources:
          - name: jelou-ops
            base_url: \(url)/jelouapi
            project_id: replaced-by-the-environment
            auth:
              api_key_file: \(path("api-key"))
            conversations: [seeded-1]
            schedule:
              open_interval: 200ms
        """.write(toFile: path("bridge.yaml"), atomically: true, encoding: .utf8)
        let environment = ["OPS_ADMIN_TOKEN": Self.adminToken, "CONVOBRIDGE_SOURCES_0_PROJECT_ID": "sim-project"]

        // check-config: the effective settings, each with its origin; secrets masked.
        let check = try await ChildProcess.run(binary, ["check-config", "--config", path("bridge.yaml")], environment: environment)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("valid, 1 source(s): jelou-ops"))
        let lines = check.stdout.split(separator: "\n")
        #expect(
            lines.contains {
                $0.hasPrefix("sources[0].project_id") && $0.contains("sim-project") && $0.hasSuffix("(env CONVOBRIDGE_SOURCES_0_PROJECT_ID)")
            })
        #expect(lines.contains { $0.hasPrefix("relay.batch_size") && $0.contains("1000") && $0.hasSuffix("(default)") })
        #expect(lines.contains { $0.hasPrefix("sources[0].schedule.closed_interval") && $0.contains("1m") && $0.hasSuffix("(default)") })
        #expect(lines.contains { $0.hasPrefix("sources[0].schedule.open_interval") && $0.contains("200ms") && $0.hasSuffix("(file)") })
        #expect(lines.contains { $0.hasPrefix("sources[0].auth.api_key ") && $0.contains("********") && $0.contains("from file") })
        #expect(!check.stdout.contains(Self.apiKey) && !check.stdout.contains(Self.adminToken), "no secret printed")
        let json = try await ChildProcess.run(
            binary, ["check-config", "--config", path("bridge.yaml"), "--format", "json"], environment: environment)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((parsed?["settings"] as? [Any])?.count == lines.count - 1)

        // A bad file: exit 1, every problem named by its key.
        try """
        store: {path: \(path("x.sqlite"))}
        kafka: {bootstrap_servers: \(bootstrap), content_mode: avro}
        sources:
          - {name: bad, base_url: ftp://nowhere, project_id: p, auth: {api_key: inline-secret}, schedule: {open_interval: soon}}
        """.write(toFile: path("bad.yaml"), atomically: true, encoding: .utf8)
        let bad = try await ChildProcess.run(binary, ["check-config", "--config", path("bad.yaml")])
        #expect(bad.status == 1)
        for key in ["kafka.content_mode", "sources[0].base_url", "sources[0].auth.api_key", "sources[0].schedule.open_interval"] {
            #expect(bad.stderr.contains(key), "names \(key): \(bad.stderr)")
        }
        #expect(!bad.stderr.contains("inline-secret"))

        let bridge = try ProcessRunner.start(
            binary, ["run", "--config", path("bridge.yaml"), "--log-format", "json"],
            environment: environment, stderr: path("bridge.log"))
        defer { if bridge.isRunning { bridge.interrupt() } }
        try await ProcessRunner.waitForText("HTTP server listening", inFile: path("bridge.log"), timeout: .seconds(30))
        let log = try String(contentsOfFile: path("bridge.log"), encoding: .utf8)
        let listening = try #require(log.split(separator: "\n").first { $0.contains("HTTP server listening") })
        let listeningLine = try #require(try JSONSerialization.jsonObject(with: Data(listening.utf8)) as? [String: Any])
        let admin = try #require(listeningLine["url"] as? String)

        // Readiness needs no token; the table needs one.
        let anonymous = try await Self.waitForReady(binary, admin)
        #expect(anonymous.stdout.contains("bridge: ready"), "\(anonymous.stdout)\(anonymous.stderr)")
        #expect(anonymous.stdout.contains("CONVOBRIDGE_ADMIN_TOKEN"))
        let status = try await ChildProcess.run(binary, ["status", "--url", admin, "--token-file", path("admin-token")])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("outbox:"))
        #expect(status.stdout.split(separator: "\n").contains { $0.hasPrefix("jelou-ops") && $0.contains(" yes ") && $0.contains("closed") })
        #expect(status.stdout.contains("LAG P99") && status.stdout.contains("IN FLIGHT"), "\(status.stdout)")
        let refused = try await ChildProcess.run(binary, ["status", "--url", admin], environment: ["CONVOBRIDGE_ADMIN_TOKEN": "wrong-token"])
        #expect(refused.status == 1 && refused.stderr.contains("refused the admin token"))

        // watch add / list / remove.
        let tokenEnvironment = ["CONVOBRIDGE_ADMIN_TOKEN": Self.adminToken]
        let added = try await ChildProcess.run(
            binary, ["watch", "add", "--url", admin, "--source", "jelou-ops", "cli-1", "cli-2"], environment: tokenEnvironment)
        #expect(added.status == 0 && added.stdout.contains("watching jelou-ops/cli-2"), "\(added.stderr)")
        let listed = try await ChildProcess.run(binary, ["watch", "list", "--url", admin, "--source", "jelou-ops"], environment: tokenEnvironment)
        #expect(
            ["seeded-1", "cli-1", "cli-2"].allSatisfy { id in listed.stdout.split(separator: "\n").contains { $0.hasPrefix(id) } }, "\(listed.stdout)"
        )
        let removed = try await ChildProcess.run(
            binary, ["watch", "remove", "--url", admin, "--source", "jelou-ops", "cli-1"], environment: tokenEnvironment)
        #expect(removed.status == 0, "\(removed.stderr)")
        let after = try await ChildProcess.run(
            binary, ["watch", "list", "--url", admin, "--source", "jelou-ops", "--json"], environment: tokenEnvironment)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [[String: Any]])
        #expect(entries.first { $0["conversation_id"] as? String == "cli-1" }?["next_poll_at"] is NSNull, "cli-1 is no longer polled")
        let unknown = try await ChildProcess.run(binary, ["watch", "list", "--url", admin, "--source", "nope"], environment: tokenEnvironment)
        #expect(unknown.status == 1 && unknown.stderr.contains("no source nope"))

        kill(bridge.processIdentifier, SIGTERM)
        try await ProcessRunner.waitForExit(bridge, timeout: .seconds(30))
        #expect(bridge.terminationStatus == 0)
        let unreachable = try await ChildProcess.run(binary, ["status", "--url", admin])
        #expect(unreachable.status == 1 && unreachable.stderr.contains("cannot reach the bridge"))

        // Every log line is one JSON object, and no secret is in any of them.
        let finalLog = try String(contentsOfFile: path("bridge.log"), encoding: .utf8)
        let logLines = finalLog.split(separator: "\n")
        #expect(logLines.count >= 3)
        for line in logLines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["msg"] is String && object?["ts"] is String, "\(line)")
        }
        #expect(!finalLog.contains(Self.apiKey) && !finalLog.contains(Self.adminToken))
    }

    /// `status` until the bridge reports ready (its first poll must have answered), at most 20 s.
    static func waitForReady(_ binary: URL, _ url: String) async throws -> ChildProcess.Output {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let output = try await ChildProcess.run(binary, ["status", "--url", url], environment: ["CONVOBRIDGE_ADMIN_TOKEN": ""])
            if output.status == 0 || ContinuousClock.now > deadline { return output }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
