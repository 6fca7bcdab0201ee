import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeSimulator
import Foundation
import Testing

/// The poll engine on a real simulator over loopback: what one slow answer, and a list of many new conversations,
/// do to the rest of the schedule.
@Suite("The poll engine: no head-of-line blocking, one deadline per request, concurrent discovery", .serialized)
struct PollEngineTests {
    static func counter(_ metrics: String, _ name: String, _ labels: [String: String]) -> Double {
        MetricsSnapshot(exposition: Array(metrics.utf8)).sum(name, labels)
    }

    @Test("A body that stalls fails at its deadline; every other conversation of the source keeps its schedule meanwhile", .timeLimit(.minutes(2)))
    func stalledBody() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        let numbers = try (0..<20).map { try harness.world.create(id: "stall-\($0)").conversation.number }
        var source = harness.source(.zild, name: "zild-stall")
        source.conversationIDs = numbers.map(String.init)
        source.http = SourceHTTPPolicy(requestsPerSecond: 1000, burst: 100, maxConcurrentRequests: 4, requestTimeout: .seconds(8))
        var configuration = harness.configuration()
        configuration.sources = [source]
        try await harness.withBridge(configuration) { bridge in
            try await events.waitUntil("every conversation discovered") { records in
                records.count(where: { $0.header("ce_type") == "conversation.discovered" }) == 20
            }
            let polls = { Int(bridge.metrics.snapshot().sum("convobridge_polls_total")) }
            let timeouts = {
                bridge.metrics.snapshot().value("convobridge_poll_failures_total", ["source": "zild-stall", "reason": "timeout"]) ?? 0
            }
            let timeoutsBefore = timeouts()
            // The next answer sends its headers and half its body, then nothing for 30 s; it fails at its 8 s deadline
            // (long, so that even a starved machine finishes a few polls meanwhile: CI once managed one in 0.8 s).
            harness.world.addFault(SimulatorFault(kind: .stalledBody, latencyMilliseconds: 30_000))
            let waitingSince = ContinuousClock.now
            while harness.world.queuedFaultCount > 0, ContinuousClock.now - waitingSince < .seconds(10) {
                try await Task.sleep(for: .milliseconds(5))
            }
            try #require(harness.world.queuedFaultCount == 0, "a poll took the stalled answer")
            let stalledAt = ContinuousClock.now
            // Counted by events, not in a time window, so the machine's load only slows the test down: the polls
            // that finish from now until the stalled attempt fails. Read before the timeout counter, so a count
            // reached with the counter unchanged was reached while the answer hung. Behind a batch, or a single
            // slot, that waited for the stalled answer, none would finish meanwhile (checked: one slot fails).
            let pollsBefore = polls()
            var pollsMeanwhile = 0
            var stillHanging = true
            while pollsMeanwhile < 5, stillHanging, ContinuousClock.now - stalledAt < .seconds(25) {
                try await Task.sleep(for: .milliseconds(5))
                pollsMeanwhile = polls() - pollsBefore
                stillHanging = timeouts() == timeoutsBefore
            }
            #expect(pollsMeanwhile >= 5 && stillHanging, "the others kept being polled while one answer hung: \(pollsMeanwhile) polls")
            while timeouts() == timeoutsBefore, ContinuousClock.now - stalledAt < .seconds(25) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let hung = ContinuousClock.now - stalledAt
            #expect(
                timeouts() > timeoutsBefore && hung < .seconds(20), "the stalled attempt failed at its 8 s deadline, not 30 s later (\(hung))")
        }
    }

    @Test("Conversations new to a list page are read concurrently, paced with every other request", .timeLimit(.minutes(2)))
    func concurrentDiscovery() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        for index in 0..<120 {
            _ = try harness.world.create(id: "new-\(index)")
            _ = try harness.world.assign("new-\(index)", operator: "Agent \(index % 7)", team: nil)
        }
        var configuration = harness.configuration()
        configuration.sources[0].http = SourceHTTPPolicy(requestsPerSecond: 1000, burst: 100, maxConcurrentRequests: 16, requestTimeout: .seconds(5))
        configuration.sources[0].discovery?.interval = .seconds(30)
        // Every answer 300 ms late: read one at a time, 120 new conversations would take 36 s.
        harness.world.addFault(SimulatorFault(kind: .latency, count: 200, latencyMilliseconds: 300))
        let started = ContinuousClock.now
        try await harness.withBridge(configuration) { bridge in
            try await events.waitUntil(timeout: .seconds(60), "every listed conversation discovered") { records in
                Set(records.filter { $0.header("ce_type") == "conversation.discovered" }.compactMap(\.keyString)).count == 120
            }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(15), "120 reads of 300 ms with 16 in flight: \(elapsed)")
            let metrics = String(decoding: bridge.metrics.render(), as: UTF8.self)
            #expect(Self.counter(metrics, "convobridge_discovered_total", ["source": "jelou-demo"]) == 120)
        }
        // The discovered event carries what Get Conversation read (the operator's name is on both endpoints, the
        // bot only on Get Conversation), stamped with that request's answer time.
        for record in events.records where record.header("ce_type") == "conversation.discovered" {
            let event = try JSONParser.parse(record.value ?? [])
            #expect(event["after"]?["bot"]?["name"] == .string("Asistente"), "\(record.keyString ?? "")")
            #expect(event["after"]?["assignee"]?["name"]?.stringValue?.hasPrefix("Agent ") == true, "the list row's fields are kept")
        }
    }
}
