import AsyncHTTPClient
import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import ConvoBridgeSigning
import ConvoBridgeSimulator
import ConvoBridgeStore
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite("The bridge end to end: simulator → polls and webhooks → store and outbox → Kafka", .serialized)
struct BridgeEndToEndTests {
    static func count(_ type: String, in records: [ConsumedRecord], key: String) -> Int {
        records.filter { $0.keyString == key && $0.header("ce_type") == type }.count
    }

    /// Contiguous sequences from 1, ids `{key}/{n}`, one partition per key with offsets in sequence order.
    static func checkContract(_ records: [ConsumedRecord], key: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let mine = records.filter { $0.keyString == key }.sorted { $0.offset < $1.offset }
        #expect(mine.map { Int($0.header("ce_sequence") ?? "") } == Array(1...max(1, mine.count)).map(Optional.some), sourceLocation: sourceLocation)
        #expect(mine.map { $0.header("ce_id") } == mine.indices.map { "\(key)/\($0 + 1)" }, sourceLocation: sourceLocation)
        #expect(Set(mine.map(\.partition)).count <= 1, "one key, one partition", sourceLocation: sourceLocation)
        #expect(mine.allSatisfy { $0.header("ce_partitionkey") == key && $0.header("ce_specversion") == "1.0" }, sourceLocation: sourceLocation)
    }

    @Test("A scripted lifecycle gives exactly the contract's events, in order, and the state topic follows")
    func lifecycle() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        let key = "jelou-demo/c-1"
        try await harness.withBridge { _ in
            try harness.world.create(id: "c-1")
            try harness.world.assign("c-1", operator: "Ana Torres", team: "Soporte")
            try await events.waitUntil("discovery") { Self.count("conversation.discovered", in: $0, key: key) == 1 }

            try harness.world.close("c-1", reason: "closed_by_operator")
            try await events.waitUntil("close") { Self.count("conversation.updated", in: $0, key: key) == 1 }

            try harness.world.setEndedReason("c-1", "closed_by_user")
            try await events.waitUntil("end reason") { Self.count("conversation.ended_reason_changed", in: $0, key: key) == 2 }

            try harness.world.reopen("c-1")
            try await events.waitUntil("reopen") { Self.count("conversation.updated", in: $0, key: key) == 2 }

            try harness.world.delete("c-1")
            try await events.waitUntil("vanish") { Self.count("conversation.vanished", in: $0, key: key) == 1 }
        }
        #expect(
            events.types(of: "c-1") == [
                "conversation.discovered",
                "conversation.closed", "conversation.ended_reason_changed", "conversation.updated",
                "conversation.ended_reason_changed",
                "conversation.reopened", "conversation.ended_reason_changed", "conversation.updated",
                "conversation.vanished",
            ])
        Self.checkContract(events.records, key: key)
        let discovered = try #require(events.events(of: "c-1").first.flatMap { $0.value }.map { try JSONParser.parse($0) })
        #expect(discovered["after"]?["assignee"]?["name"] == .string("Ana Torres"), "discovery carries Advisor's operator…")
        #expect(discovered["after"]?["user"]?["name"] == .string("User 000001"), "…and Get Conversation's user name")
        let closed = try JSONParser.parse(events.events(of: "c-1")[1].value ?? [])
        #expect(
            closed["transition"]
                == .object(["kind": .string("closed"), "field": .string("status"), "from": .string("open"), "to": .string("closed")]))
        #expect(
            closed["observation_id"] == (try JSONParser.parse(events.events(of: "c-1")[2].value ?? []))["observation_id"],
            "closed and its end reason come from one observation")

        let state = try TopicCollector(harness, topic: "conversation-state")
        try await state.waitUntil("the tombstone") { $0.contains { $0.keyString == key && $0.value == nil } }
        let last = state.records.filter { $0.keyString == key }.last
        #expect(last?.value == nil, "the latest state of a vanished conversation is a tombstone")

        // Record times are observation times, so a re-delivery lands in the same time partition of a sink.
        for record in events.events(of: "c-1") {
            let observedAt = try JSONParser.parse(record.value ?? [])["observed_at"]?.stringValue.flatMap(Timestamp.init(iso8601:))
            #expect(record.timestamp == observedAt?.millisecondsSinceEpoch, "record time of \(record.header("ce_id") ?? "?")")
        }
        let observationTimes = Set(events.events(of: "c-1").compactMap(\.timestamp))
        #expect(
            state.records.filter { $0.keyString == key }.allSatisfy { $0.timestamp.map(observationTimes.contains) == true },
            "each state record carries the time of the observation it comes from")
    }

    @Test("Structured mode with the operator's dataschema base: whole CloudEvents in the value, stamped with their observation time")
    func structuredMode() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        var configuration = harness.configuration()
        configuration.kafka.encoder.contentMode = .structured
        configuration.kafka.encoder.dataSchemaBase = "https://schemas.example.com/convobridge/v1/"
        let key = "jelou-demo/c-s"
        try await harness.withBridge(configuration) { _ in
            try harness.world.create(id: "c-s")
            try harness.world.assign("c-s", operator: "Ana Torres", team: "Soporte")
            try await events.waitUntil("discovery") { $0.contains { $0.keyString == key } }
            try harness.world.close("c-s", reason: "closed_by_operator")
            try await events.waitUntil("close") { $0.filter { $0.keyString == key }.count >= 2 }
        }
        let mine = events.events(of: "c-s")
        #expect(mine.allSatisfy { $0.header("content-type") == "application/cloudevents+json" && $0.header("ce_type") == nil })
        let envelopes = try mine.map { try JSONParser.parse($0.value ?? []) }
        #expect(envelopes.prefix(2).map { $0["type"]?.stringValue } == ["conversation.discovered", "conversation.closed"])
        #expect(envelopes.first?["dataschema"] == .string("https://schemas.example.com/convobridge/v1/data/conversation.discovered.json"))
        #expect(envelopes.first?["data"]?["op"] == .string("c"))
        for (record, envelope) in zip(mine, envelopes) {
            #expect(record.timestamp == envelope["time"]?.stringValue.flatMap(Timestamp.init(iso8601:))?.millisecondsSinceEpoch)
        }
    }

    @Test("A signed webhook is forwarded as jelou.<event> and triggers a poll of an unknown conversation")
    func webhook() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        try harness.world.create(id: "c-web")
        try await harness.withBridge { bridge in
            let port = try #require(await bridge.serverPort())
            var request = HTTPClientRequest(url: harness.simulatorURL + "/_sim/webhooks")
            request.method = .POST
            request.body = .bytes(Array(#"{"event":"message","conversation_id":"c-web","url":"http://127.0.0.1:\#(port)/webhooks/jelou-demo"}"#.utf8))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(String(buffer: try await response.body.collect(upTo: 4096)) == #"{"status":202}"#)
            try await events.waitUntil("the forwarded event and the discovery") { $0.filter { $0.keyString == "jelou-demo/c-web" }.count == 2 }
        }
        #expect(events.types(of: "c-web") == ["jelou.message", "conversation.discovered"])
        Self.checkContract(events.records, key: "jelou-demo/c-web")
        let native = try JSONParser.parse(events.events(of: "c-web")[0].value ?? [])
        #expect(native["native"]?["event_type"] == .string("message"), "the payload unchanged under data.native")
    }

    @Test("A signed webhook replayed 50 times is one event and one poll; the store remembers the body, not the replays")
    func replayFlood() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        try harness.world.create(id: "c-replay")
        try harness.world.create(id: "c-other")
        var configuration = harness.configuration()
        configuration.sources[0].discovery = nil
        configuration.sources[0].conversationIDs = ["c-other"]
        try await harness.withBridge(configuration) { bridge in
            let port = try #require(await bridge.serverPort())
            let body = Array(#"{"event":"message","timestamp":\#(Timestamp.now().millisecondsSinceEpoch),"conversation_id":"c-replay"}"#.utf8)
            let signature = WebhookSignature(secret: harness.simulator.configuration.signingSecret).sign(body)
            var statuses: [UInt] = []
            for _ in 0..<50 {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/jelou-demo")
                request.method = .POST
                request.headers.add(name: "X-Jelou-Signature", value: signature)
                request.body = .bytes(body)
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 4096)
                statuses.append(response.status.code)
            }
            #expect(statuses.first == 202 && statuses.dropFirst().allSatisfy { $0 == 200 }, "\(Set(statuses))")
            try await events.waitUntil("the forwarded event and the discovery") { $0.filter { $0.keyString == "jelou-demo/c-replay" }.count == 2 }
            try await events.waitUntil("the other conversation, polled on schedule meanwhile") {
                $0.contains { $0.keyString == "jelou-demo/c-other" }
            }
            #expect(try await bridge.store.rememberedDeliveries() == 1)
            let metrics = bridge.metrics.snapshot()
            #expect(metrics.value("convobridge_webhook_requests_total", ["source": "jelou-demo", "outcome": "duplicate"]) == 49)
            #expect(metrics.value("convobridge_webhook_requests_total", ["source": "jelou-demo", "outcome": "accepted"]) == 1)
        }
        #expect(events.types(of: "c-replay") == ["jelou.message", "conversation.discovered"], "one event, not fifty")
        Self.checkContract(events.records, key: "jelou-demo/c-replay")
    }

    @Test("Webhook event names are bounded in the metrics: 60 distinct names make at most 50 series and other")
    func boundedEventTypes() async throws {
        let harness = try await BridgeHarness()
        try harness.world.create(id: "c-names")
        try await harness.withBridge { bridge in
            let port = try #require(await bridge.serverPort())
            for index in 0..<60 {
                var request = HTTPClientRequest(url: harness.simulatorURL + "/_sim/webhooks")
                request.method = .POST
                request.body = .bytes(
                    Array(#"{"event":"custom.e\#(index)","conversation_id":"c-names","url":"http://127.0.0.1:\#(port)/webhooks/jelou-demo"}"#.utf8))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                #expect(String(buffer: try await response.body.collect(upTo: 4096)) == #"{"status":202}"#)
            }
            let metrics = String(decoding: bridge.metrics.render(), as: UTF8.self)
            let series = metrics.split(separator: "\n").filter { $0.hasPrefix("convobridge_transitions_total{") && $0.contains("type=\"jelou.") }
            let other = metrics.split(separator: "\n").first { $0.hasPrefix("convobridge_transitions_total{") && $0.contains("type=\"other\"") }
            #expect(series.count <= 50, "\(series.count) series of forwarded event types")
            #expect(other.map { $0.hasSuffix(" \(60 - series.count)") } == true, "the rest counted as other: \(other ?? "none")")
        }
    }

    @Test("Malformed and error answers are counted, never advance the snapshot, and the bridge keeps going")
    func badAnswers() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        var configuration = harness.configuration()
        configuration.sources[0].discovery = nil
        configuration.sources[0].conversationIDs = ["c-1"]
        configuration.sources[0].http.retry = RetryPolicy(maxAttempts: 1)
        try harness.world.create(id: "c-1")
        try await harness.withBridge(configuration) { bridge in
            try await events.waitUntil("discovery") { $0.count == 1 }
            for kind: SimulatorFault.Kind in [.malformedJSON, .truncatedBody, .htmlError, .serverError, .unauthorized] {
                harness.world.addFault(SimulatorFault(kind: kind, count: 2))
            }
            try harness.world.close("c-1")
            try await events.waitUntil("the close, once the faults are served") { $0.count == 3 }
            #expect(bridge.metrics.snapshot().sum("convobridge_poll_failures_total") >= 10)
            let tracked = try #require(try await bridge.store.conversation(source: "jelou-demo", conversationID: "c-1"))
            #expect(tracked.snapshot?.status == .closed && tracked.lastSequence == 3)
        }
        #expect(events.types(of: "c-1") == ["conversation.discovered", "conversation.closed", "conversation.ended_reason_changed"])
    }

    @Test(
        "Platform faults mid-run (a 429 storm with Retry-After, latency spikes, 8 MiB bodies, credentials refused then accepted, 500s): every transition once, in order",
        .timeLimit(.minutes(2)))
    func platformFaultsMidRun() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        let ids = (1...4).map { "p-\($0)" }
        for id in ids { try harness.world.create(id: id) }
        var configuration = harness.configuration()
        configuration.sources[0].discovery = nil
        configuration.sources[0].conversationIDs = ids
        configuration.sources[0].http.authFailureThreshold = 2
        configuration.sources[0].http.authProbeInterval = .milliseconds(500)
        func delivered(_ type: String, _ id: String, count: Int = 1) -> ([ConsumedRecord]) -> Bool {
            { records in Self.count(type, in: records, key: "jelou-demo/\(id)") == count }
        }
        try await harness.withBridge(configuration) { bridge in
            try await events.waitUntil("discovery") { records in ids.allSatisfy { delivered("conversation.discovered", $0)(records) } }
            harness.world.addFault(SimulatorFault(kind: .rateLimit, count: 30, retryAfterSeconds: 1))
            try harness.world.close("p-1", reason: "closed_by_operator")
            try await events.waitUntil(timeout: .seconds(40), "the close behind the 429 storm", delivered("conversation.closed", "p-1"))

            harness.world.addFault(SimulatorFault(kind: .latency, count: 8, latencyMilliseconds: 1500))
            try harness.world.setEndedReason("p-1", "abandoned")
            try await events.waitUntil("the end reason behind slow answers", delivered("conversation.ended_reason_changed", "p-1", count: 2))

            harness.world.addFault(SimulatorFault(kind: .oversizedBody, count: 4))
            try harness.world.close("p-2", reason: "closed_by_user")
            try await events.waitUntil("the close behind oversized bodies", delivered("conversation.closed", "p-2"))

            // Credentials revoked: the circuit opens; accepted again: it closes and the change made meanwhile arrives.
            harness.world.addFault(SimulatorFault(kind: .unauthorized, count: 1_000_000))
            try harness.world.close("p-3", reason: "closed_by_operator")
            let deadline = ContinuousClock.now + .seconds(20)
            while ObservabilityTests.sample(
                String(decoding: bridge.metrics.render(), as: UTF8.self), "convobridge_poll_failures_total",
                ["reason": "unauthorized"]) ?? 0 < 2, ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(100))
            }
            harness.world.clearFaults()
            try await events.waitUntil("the close made while the credentials were refused", delivered("conversation.closed", "p-3"))

            harness.world.addFault(SimulatorFault(kind: .serverError, count: 10))
            try harness.world.reopen("p-1")
            try await events.waitUntil("the reopen behind 500s", delivered("conversation.reopened", "p-1"))
        }
        let closed = ["conversation.discovered", "conversation.closed", "conversation.ended_reason_changed"]
        func transitions(_ id: String) -> [String] { events.types(of: id).filter { $0 != "conversation.updated" } }
        #expect(transitions("p-1") == closed + ["conversation.ended_reason_changed", "conversation.reopened", "conversation.ended_reason_changed"])
        #expect(transitions("p-2") == closed && transitions("p-3") == closed)
        #expect(transitions("p-4") == ["conversation.discovered"], "nothing invented")
        for id in ids { Self.checkContract(events.records, key: "jelou-demo/\(id)") }
    }

    @Test("Restart with a non-empty outbox: nothing lost, re-published events keep their ce_id")
    func restartWithOutbox() async throws {
        let harness = try await BridgeHarness()
        try harness.world.create(id: "c-1")
        try harness.world.assign("c-1", operator: "Ana", team: nil)
        var configuration = harness.configuration(drainDeadline: .milliseconds(500))
        configuration.kafka.publisher.messageTimeout = .seconds(2)
        // Kafka down: events pile up in the outbox.
        try harness.cluster.setBrokerDown(1)
        try await harness.withBridge(configuration) { bridge in
            let deadline = ContinuousClock.now + .seconds(20)
            while try await bridge.store.outboxCount() < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            try harness.world.close("c-1")
            while (try await bridge.store.conversation(source: "jelou-demo", conversationID: "c-1")?.lastSequence ?? 0) < 3
                && ContinuousClock.now < deadline
            { try await Task.sleep(for: .milliseconds(50)) }
        }
        let left = try await BridgeStore(path: harness.storePath).outboxCount()
        #expect(left >= 4, "the events (and state records) stayed in the outbox across the stop")
        try harness.cluster.setBrokerUp(1)
        let events = try TopicCollector(harness)
        try await harness.withBridge(configuration) { _ in
            try await events.waitUntil("the outbox published after the restart") { Set($0.compactMap { $0.header("ce_id") }).count >= 3 }
        }
        let ids = events.records.compactMap { $0.header("ce_id") }
        let unique = Set(ids)
        #expect(unique == Set((1...unique.count).map { "jelou-demo/c-1/\($0)" }), "contiguous from 1: nothing lost")
        #expect(Set(events.types(of: "c-1")).isSuperset(of: ["conversation.discovered", "conversation.closed", "conversation.ended_reason_changed"]))
        // Any duplicate is byte-identical to the original.
        for id in Set(ids) {
            let copies = events.records.filter { $0.header("ce_id") == id }
            #expect(Set(copies.map(\.value)).count == 1)
        }
        #expect(try await BridgeStore(path: harness.storePath).outboxCount() == 0)
    }

    @Test("Broker down for 30 s: polling goes on, the outbox grows, and everything arrives in order after", .timeLimit(.minutes(2)))
    func brokerOutage() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        let ids = (1...5).map { "c-\($0)" }
        for id in ids {
            try harness.world.create(id: id)
            try harness.world.assign(id, operator: "Ana", team: "Soporte")
        }
        try await harness.withBridge { bridge in
            try await events.waitUntil("discovery") { $0.count == ids.count }
            try harness.cluster.setBrokerDown(1)
            let outageStart = ContinuousClock.now
            for id in ids { try harness.world.close(id) }
            try await Task.sleep(for: .seconds(10))
            for id in ids { try harness.world.reopen(id) }
            let pollsBefore = bridge.metrics.snapshot().sum("convobridge_polls_total")
            let outboxDuringOutage = try await bridge.store.outboxCount()
            try await Task.sleep(until: outageStart + .seconds(30))
            #expect(bridge.metrics.snapshot().sum("convobridge_polls_total") > pollsBefore, "polling goes on while Kafka is down")
            #expect(outboxDuringOutage >= ids.count * 3, "the outbox holds the transitions")
            try harness.cluster.setBrokerUp(1)
            try await events.waitUntil(timeout: .seconds(60), "delivery after the outage") { records in
                ids.allSatisfy { id in
                    records.filter { $0.keyString == "jelou-demo/\(id)" && $0.header("ce_type") == "conversation.reopened" }.count == 1
                }
            }
        }
        for id in ids {
            let types = events.types(of: id).filter { $0 != "conversation.updated" }
            #expect(Array(Set(types)).count == types.count || types.count > 0)
            #expect(types.first == "conversation.discovered")
            #expect(types.contains("conversation.closed") && types.contains("conversation.reopened"))
            let unique = events.events(of: id).reduce(into: [String]()) { seen, record in
                if let id = record.header("ce_id"), !seen.contains(id) { seen.append(id) }
            }
            #expect(unique == unique.indices.map { "jelou-demo/\(id)/\($0 + 1)" }, "in order, no gap, duplicates only of the same ce_id")
        }
    }

    @Test("Back-pressure: past max_backlog unpublished events polling pauses instead of piling up, and resumes with Kafka")
    func backPressure() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        var configuration = harness.configuration()
        configuration.relay.maxBacklog = 1
        try harness.world.create(id: "c-1")
        try harness.world.assign("c-1", operator: "Ana", team: nil)
        try harness.cluster.setBrokerDown(1)
        try await harness.withBridge(configuration) { bridge in
            let deadline = ContinuousClock.now + .seconds(20)
            while bridge.metrics.snapshot().sum("convobridge_poll_backlog_waits_total") < 2 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(bridge.metrics.snapshot().sum("convobridge_poll_backlog_waits_total") >= 2, "polling paused")
            let polls = bridge.metrics.snapshot().sum("convobridge_polls_total")
            try harness.world.close("c-1")
            try await Task.sleep(for: .seconds(2))
            #expect(bridge.metrics.snapshot().sum("convobridge_polls_total") == polls, "no poll while paused")
            #expect(try await bridge.store.outboxCount() == 2, "only the discovery's two records: the close was not polled")
            try harness.cluster.setBrokerUp(1)
            try await events.waitUntil("the close, after Kafka came back") { Self.count("conversation.closed", in: $0, key: "jelou-demo/c-1") == 1 }
        }
        Self.checkContract(events.records, key: "jelou-demo/c-1")
    }
}
