import AsyncHTTPClient
import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeSimulator
import ConvoBridgeStore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@Suite("Metrics, health and readiness over HTTP", .serialized)
struct ObservabilityTests {
    struct RequestFailed: Error, CustomStringConvertible {
        var url: String
        var error: any Error
        var description: String { "GET \(url): \(error)" }
    }

    /// A metric of outbound webhook delivery (`convobridge_webhook_requests_total` counts inbound webhooks).
    static func isOutboundWebhookMetric(_ metric: String) -> Bool {
        metric.hasPrefix("convobridge_webhook_") && metric != "convobridge_webhook_requests_total"
    }

    static func get(_ url: String) async throws -> (status: Int, body: String) {
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 22)
            return (Int(response.status.code), String(buffer: body))
        } catch {
            throw RequestFailed(url: url, error: error)
        }
    }

    /// The value of one sample line of the exposition text, e.g. `convobridge_closes_total{source="s",ended_reason="r"}`.
    static func sample(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        MetricsSnapshot(exposition: Array(text.utf8)).value(name, labels)
    }

    @Test("After a simulated run, /metrics shows the business and operational values")
    func metricsAfterRun() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        for id in ["m-1", "m-2"] {
            try harness.world.create(id: id)
            try harness.world.assign(id, operator: "Ana", team: "Soporte")
        }
        try await harness.withBridge { bridge in
            try await events.waitUntil("discovery") { $0.count == 2 }
            // One bad answer, so the failure series exist as they would in any real run.
            harness.world.addFault(SimulatorFault(kind: .serverError, count: 1))
            try harness.world.close("m-1", reason: "closed_by_operator")
            try await events.waitUntil("the close") { $0.contains { $0.header("ce_type") == "conversation.closed" } }
            let port = try #require(await bridge.serverPort())
            // The bridge keeps polling m-2 meanwhile: a poll may write between the outbox draining and the scrape, so
            // the scrape is taken again (bounded) until one sees the drained outbox.
            let deadline = ContinuousClock.now + .seconds(10)
            var (status, text) = (0, "")
            repeat {
                while (try await bridge.store.outboxCount()) > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                (status, text) = try await Self.get("http://127.0.0.1:\(port)/metrics")
            } while Self.sample(text, "convobridge_outbox_events") != 0 && ContinuousClock.now < deadline
            #expect(status == 200)
            let source = ["source": "jelou-demo"]
            #expect(Self.sample(text, "convobridge_transitions_total", source.merging(["type": "conversation.discovered"]) { $1 }) == 2)
            #expect(Self.sample(text, "convobridge_transitions_total", source.merging(["type": "conversation.closed"]) { $1 }) == 1)
            #expect(Self.sample(text, "convobridge_closes_total", source.merging(["ended_reason": "closed_by_operator"]) { $1 }) == 1)
            #expect(Self.sample(text, "convobridge_conversation_duration_seconds_count", source) == 1)
            #expect(Self.sample(text, "convobridge_operator_first_reply_seconds_count", source) == 2)
            #expect(Self.sample(text, "convobridge_conversations", ["source": "jelou-demo", "status": "closed", "state": "closed"]) == 1)
            #expect(Self.sample(text, "convobridge_conversations", ["source": "jelou-demo", "status": "open", "state": "active"]) == 1)
            #expect((Self.sample(text, "convobridge_http_requests_total", ["operation": "get-conversation", "code": "200"]) ?? 0) > 0)
            #expect((Self.sample(text, "convobridge_http_requests_total", ["operation": "advisor-conversations", "code": "200"]) ?? 0) > 0)
            #expect((Self.sample(text, "convobridge_http_request_duration_seconds_count", ["operation": "get-conversation"]) ?? 0) > 0)
            #expect((Self.sample(text, "convobridge_events_published_total") ?? 0) >= 6, "3 events and 3 state records at least")
            #expect(Self.sample(text, "convobridge_outbox_events") == 0)
            let oldestOpen = try #require(Self.sample(text, "convobridge_open_conversation_oldest_age_seconds", source), "m-2 is still open")
            let started = try #require(harness.world.conversation("m-2")?.startAt)
            let expected = Double(harness.world.currentTime.millisecondsSinceEpoch - started.millisecondsSinceEpoch) / 1000
            #expect(abs(oldestOpen - expected) < 5, "m-2 started \(expected) s ago; the gauge says \(oldestOpen) s")
            #expect(Self.sample(text, "convobridge_outbox_oldest_age_seconds") == 0)
            #expect((Self.sample(text, "convobridge_last_successful_poll_timestamp_seconds", source) ?? 0) > 1.7e9)
            #expect(Self.sample(text, "convobridge_source_circuit_open", source) == 0)
            #expect(!text.contains("m-1") && !text.contains("m-2"), "no conversation id in any label")
            // Every metric the alert rules use is exported (at 0 when nothing happened yet).
            let groups = try DeployFilesTests.yaml("deploy/prometheus/convobridge-alerts.yaml")["groups"]?.arrayValue ?? []
            let expressions = groups.flatMap { $0["rules"]?.arrayValue ?? [] }.compactMap { $0["expr"]?.stringValue }
            let used = Set(expressions.flatMap { $0.matches(of: /convobridge_[a-z_]+/).map { String($0.output) } })
            #expect(used.count >= 7)
            func exported(_ metric: String) -> Bool { text.contains("\n\(metric){") || text.contains("\n\(metric) ") }
            // Outbound webhook series exist per subscription, and this bridge has none: WebhookDeliveryProcessTests checks them.
            for metric in used where !Self.isOutboundWebhookMetric(metric) { #expect(exported(metric), "\(metric) is exported") }
            // And every metric the Grafana dashboard queries.
            for metric in try GrafanaDashboardTests.metricNames() {
                #expect(exported(metric), "\(metric), which the dashboard queries, is exported")
            }
            #expect(!text.contains("sim-api-key") && !text.contains("sim-client-secret"))
            let (healthStatus, health) = try await Self.get("http://127.0.0.1:\(port)/healthz")
            #expect(healthStatus == 200 && health == #"{"alive":true}"#)
        }
    }

    @Test("/readyz turns unready when a source's credentials are refused, and ready again when they are accepted")
    func readiness() async throws {
        let harness = try await BridgeHarness()
        try harness.world.create(id: "r-1")
        var configuration = harness.configuration()
        configuration.sources[0].discovery = nil
        configuration.sources[0].conversationIDs = ["r-1"]
        configuration.sources[0].http.authFailureThreshold = 2
        configuration.sources[0].http.authProbeInterval = .milliseconds(500)
        try await harness.withBridge(configuration) { bridge in
            let url = "http://127.0.0.1:\(try #require(await bridge.serverPort()))/readyz"
            func waitFor(ready: Bool) async throws -> String {
                let deadline = ContinuousClock.now + .seconds(20)
                while true {
                    let (status, body) = try await Self.get(url)
                    if (status == 200) == ready { return body }
                    guard ContinuousClock.now < deadline else {
                        Issue.record("readyz stayed \(status): \(body)")
                        return body
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            let ready = try await waitFor(ready: true)
            #expect(ready.contains(#""kafka":true"#) && ready.contains(#""store":true"#))
            harness.world.addFault(SimulatorFault(kind: .unauthorized, count: 1_000_000))
            let unready = try await waitFor(ready: false)
            #expect(unready.contains(#""circuit_open":true"#), "\(unready)")
            harness.world.clearFaults()
            let again = try await waitFor(ready: true)
            #expect(again.contains(#""circuit_open":false"#))
        }
    }

    @Test(
        "/readyz: a source with nothing to poll stays ready however long it idles; one whose requests fail goes unready once its last answer is stale"
    )
    func idleVersusFailing() async throws {
        let harness = try await BridgeHarness()
        try harness.world.create(id: "f-1")
        var configuration = harness.configuration()
        var idle = configuration.sources[0]
        idle.discovery = nil
        idle.name = "jelou-idle"
        idle.webhook = nil
        var failing = idle
        failing.name = "jelou-failing"
        failing.conversationIDs = ["f-1"]
        configuration.sources = [idle, failing]
        harness.world.addFault(SimulatorFault(kind: .serverError, count: 1_000_000))
        // The wall clock the bridge reads, moved forward by the test.
        let offset = Mutex<Int64>(0)
        let time = TimeSource(clock: ContinuousClock(), wallClock: { Timestamp.now().adding(milliseconds: offset.withLock { $0 }) })
        try await harness.withBridge(configuration, time: time) { bridge in
            let url = "http://127.0.0.1:\(try #require(await bridge.serverPort()))/readyz"
            let deadline = ContinuousClock.now + .seconds(20)
            while bridge.metrics.snapshot().sum("convobridge_poll_failures_total") == 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(bridge.metrics.snapshot().sum("convobridge_poll_failures_total") > 0, "the failing source's polls failed")
            // Ready once the probe's own checks (Kafka's metadata, the store) answer, which a loaded machine can delay.
            var (early, earlyBody) = try await Self.get(url)
            while early != 200 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                (early, earlyBody) = try await Self.get(url)
            }
            #expect(early == 200, "both sources are within their first minute: \(earlyBody)")
            offset.withLock { $0 = 10 * 60_000 }
            let (status, body) = try await Self.get(url)
            let detail = try JSONParser.parse(body)
            #expect(status == 503)
            #expect(detail["sources"]?["jelou-idle"]?["ready"] == .bool(true), "idle, not down: \(body)")
            #expect(detail["sources"]?["jelou-failing"]?["ready"] == .bool(false), "failing for ten minutes: \(body)")
        }
    }
}
