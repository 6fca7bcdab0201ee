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
    /// The `le` → cumulative count pairs of a histogram's buckets for one source, from a scrape.
    static func buckets(_ metrics: String, _ name: String, source: String) -> [(le: Double, count: Double)] {
        MetricsSnapshot(exposition: Array(metrics.utf8)).samples
            .filter { $0.name == "\(name)_bucket" && $0.labels["source"] == source }
            .compactMap { sample in sample.labels["le"].map { (le: $0 == "+Inf" ? .infinity : Double($0) ?? .nan, count: sample.value) } }
            .sorted { $0.le < $1.le }
    }

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
        source.http = SourceHTTPPolicy(requestsPerSecond: 1000, burst: 100, maxConcurrentRequests: 4, requestTimeout: .seconds(2))
        var configuration = harness.configuration()
        configuration.sources = [source]
        try await harness.withBridge(configuration) { bridge in
            try await events.waitUntil("every conversation discovered") { records in
                records.count(where: { $0.header("ce_type") == "conversation.discovered" }) == 20
            }
            // The same 4 s measured without a fault first: the machine's load (two cores, the other suites running)
            // then weighs on both windows alike.
            func window() async throws -> (polls: Int, lag: [(le: Double, count: Double)], metrics: String) {
                let polls = Int(bridge.metrics.snapshot().sum("convobridge_polls_total"))
                let lag = Self.buckets(String(decoding: bridge.metrics.render(), as: UTF8.self), "convobridge_poll_lag_seconds", source: "zild-stall")
                try await Task.sleep(for: .seconds(4))
                let metrics = String(decoding: bridge.metrics.render(), as: UTF8.self)
                let lagAfter = Self.buckets(metrics, "convobridge_poll_lag_seconds", source: "zild-stall")
                return (
                    Int(bridge.metrics.snapshot().sum("convobridge_polls_total")) - polls, zip(lag, lagAfter).map { ($1.le, $1.count - $0.count) },
                    metrics
                )
            }
            func onTimeShare(_ lag: [(le: Double, count: Double)]) -> Double {
                let started = lag.last?.count ?? 0
                return started > 0 ? (lag.first { $0.le >= 2 }?.count ?? 0) / started : 0
            }
            let calm = try await window()
            // The next answer sends its headers and half its body, then nothing for 30 s.
            harness.world.addFault(SimulatorFault(kind: .stalledBody, latencyMilliseconds: 30_000))
            let stalled = try await window()
            // On a loaded machine another answer may pass 2 s too; without a deadline on the body there would be none.
            #expect(
                Self.counter(stalled.metrics, "convobridge_poll_failures_total", ["source": "zild-stall", "reason": "timeout"]) >= 1,
                "the stalled attempt failed at its 2 s deadline, not 30 s later")
            // One slot of four held for 2 s costs a few polls; behind a batch that waited for the stalled answer there
            // would be at most one batch in these 4 s (4 polls, against more than 40). The bound leaves room for the
            // other suites' load, which can fall on one window and not the other (CI saw 106 against 183).
            #expect(
                calm.polls > 40 && Double(stalled.polls) >= Double(calm.polls) * 0.35,
                "the others kept being polled while one answer stalled: \(stalled.polls) polls in 4 s, \(calm.polls) without the stall")
            // The polls started while the answer stalled started on time (within the 2 s deadline) as often as without
            // it: behind a batch that waits for it, they would all start up to 30 s late.
            #expect(
                onTimeShare(stalled.lag) >= onTimeShare(calm.lag) - 0.1,
                "on time during the stall \(onTimeShare(stalled.lag)), without it \(onTimeShare(calm.lag))")
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
