import ConvoBridgeApp
import ConvoBridgeServer
import Testing

@Suite("Metrics read back from the exposition text")
struct MetricsSnapshotTests {
    @Test("Samples with escaped label values, infinities and timestamps; sums over label subsets")
    func parses() {
        let text = #"""
            # HELP convobridge_polls_total Polls.
            # TYPE convobridge_polls_total counter
            convobridge_polls_total{source="a"} 3
            convobridge_polls_total{source="b"} 4.5 1700000000000
            convobridge_closes_total{source="a",ended_reason="say \"bye\", then \\ go\nnow"} 2
            convobridge_poll_lag_seconds_bucket{source="a",le="+Inf"} 7
            convobridge_outbox_events 0
            convobridge_broken{source="a" 1
            """#
        let snapshot = MetricsSnapshot(exposition: Array(text.utf8))
        #expect(snapshot.samples.count == 5, "the unterminated line is skipped")
        #expect(snapshot.sum("convobridge_polls_total") == 7.5)
        #expect(snapshot.value("convobridge_polls_total", ["source": "b"]) == 4.5)
        #expect(snapshot.value("convobridge_polls_total", ["source": "c"]) == nil)
        #expect(snapshot.value("convobridge_closes_total", ["ended_reason": "say \"bye\", then \\ go\nnow"]) == 2)
        #expect(snapshot.samples.first { $0.name == "convobridge_poll_lag_seconds_bucket" }?.labels["le"] == "+Inf")
        #expect(snapshot.value("convobridge_outbox_events") == 0)
    }

    @Test("What the components report is what reads back: one count per fact, the alert series present at zero")
    func componentsReportOnce() {
        let metrics = BridgeMetrics(sources: ["s"])
        let zero = metrics.snapshot()
        for name in [
            "convobridge_kafka_queue_full_waits_total", "convobridge_kafka_fatal_errors_total", "convobridge_kafka_producer_replacements_total",
            "convobridge_kafka_records_in_flight", "convobridge_polls_total", "convobridge_poll_backlog_waits_total",
        ] {
            #expect(zero.value(name) == 0, "\(name) is exported at 0 from the start")
        }
        metrics.publisherFatalError()
        metrics.publisherReplacedProducer()
        metrics.publisherWaitedForQueueSpace()
        metrics.publisherWaitedForQueueSpace()
        metrics.webhookAnswered(source: "s", outcome: .duplicate)
        metrics.webhookAnswered(source: "s", outcome: .badSignature)
        metrics.webhookAnswered(source: "s", outcome: .badSignature)
        metrics.requestRefusedByOpenCircuit(source: "s")
        metrics.attemptFinished(source: "s", operation: "fetch", status: 429, latency: .milliseconds(3))
        let after = metrics.snapshot()
        #expect(after.value("convobridge_kafka_fatal_errors_total") == 1)
        #expect(after.value("convobridge_kafka_producer_replacements_total") == 1)
        #expect(after.value("convobridge_kafka_queue_full_waits_total") == 2)
        #expect(after.value("convobridge_webhook_requests_total", ["source": "s", "outcome": "bad_signature"]) == 2)
        #expect(after.sum("convobridge_webhook_requests_total") == 3)
        #expect(after.value("convobridge_http_circuit_refusals_total", ["source": "s"]) == 1)
        #expect(after.value("convobridge_http_requests_total", ["source": "s", "code": "429"]) == 1)
        #expect(after.value("convobridge_http_rate_limited_total", ["source": "s"]) == 1)
    }
}
