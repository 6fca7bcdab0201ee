import ConvoBridgeCore
public import ConvoBridgeHTTP
public import ConvoBridgeKafka
public import ConvoBridgeServer
import ConvoBridgeStore
public import Prometheus
import Synchronization

/// The bridge's Prometheus metrics, in its own registry (no process-wide state, so several bridges can run in one
/// test process). Names follow Prometheus conventions: `convobridge_` prefix, `_total` counters, `_seconds` units.
/// No label carries a conversation id. Label values that come from outside are bounded, so no platform or webhook
/// sender can grow the series without end: end reasons to the first `maxEndReasons` seen, event types and raw states
/// to the first `maxOutsideValues` of each, the rest `other`.
///
/// They are the bridge's only counts: the components report here once (directly, or through the observer protocols
/// of their libraries), and the demo's summary and the tests read them back through ``snapshot()``.
public final class BridgeMetrics: SourceHTTPObserver, KafkaPublisherObserver, WebhookObserver, Sendable {
    let registry = PrometheusCollectorRegistry()
    static let maxEndReasons = 20
    static let maxOutsideValues = 50
    private let endReasons = Mutex<Set<String>>([])
    private let eventTypes = Mutex<Set<String>>([])
    private let states = Mutex<Set<String>>([])
    /// Per scrape-time gauge, the label sets set at the last scrape, to zero those that disappeared since.
    private let scrapedLabels = Mutex<[String: Set<[String]>]>([:])
    private let attemptSeries = Mutex<[AttemptKey: (Counter, DurationHistogram)]>([:])

    static let durationBuckets: [Double] = [60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400, 259_200]
    static let replyBuckets: [Double] = [5, 15, 30, 60, 120, 300, 600, 1800, 3600]
    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
    static let lagBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
    ]
    static let deliveryBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
        .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(120),
    ]

    /// Creates the counters and gauges alerts rely on at zero, per source, so `rate()` and `increase()` have a
    /// series before the first 429 or delivery error.
    public init(sources: [String] = []) {
        // A counter is exported from its creation, at 0.
        _ = publishedCounter()
        _ = deliveryErrorCounter()
        quarantined(0)
        setQuarantine(depth: 0)
        setOutbox(depth: 0, oldestAge: nil)
        setStoreDiskFull(false)
        for counter in [KafkaCounter.queueFullWaits, .fatalErrors, .producerReplacements] { _ = kafkaCounter(counter) }
        setRecordsInFlight(0)
        for source in sources {
            _ = rateLimitedCounter(source)
            _ = sourceMetrics(source)
            setCircuitOpen(source: source, false)
        }
    }

    func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "convobridge", metricName: metric, unitName: unit, helpText: help)
    }

    // MARK: Business

    /// One event published to the outbox (a transition or a forwarded webhook event).
    func event(_ event: ConversationEvent) {
        registry.makeCounter(
            descriptor: name("transitions", "total", "Events written for publication, by source and CloudEvents type."),
            labels: [("source", event.source), ("type", boundedType(event.type))]
        ).increment()
        guard event.type == .closed, let after = event.after else { return }
        registry.makeCounter(
            descriptor: name("closes", "total", "Conversations closed, by source and end reason (the first 20 reasons seen; the rest as other)."),
            labels: [("source", event.source), ("ended_reason", boundedReason(after.endedReason))]
        ).increment()
        if let start = after.startedAt, let end = after.endedAt, end >= start {
            registry.makeValueHistogram(
                descriptor: name("conversation_duration", "seconds", "Conversation duration at close (ended_at - started_at)."),
                labels: [("source", event.source)], buckets: Self.durationBuckets
            )
            .record(Double(end.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 1000)
        }
    }

    /// An operator's first reply time became known (Jelou `timeRepliedOperator`).
    func operatorFirstReply(source: String, milliseconds: Int64) {
        registry.makeValueHistogram(
            descriptor: name("operator_first_reply", "seconds", "Time to the operator's first reply (Jelou timeRepliedOperator)."),
            labels: [("source", source)], buckets: Self.replyBuckets
        )
        .record(Double(milliseconds) / 1000)
    }

    /// The contract's own types always; a forwarded webhook event's `{platform}.{name}` only among the first
    /// `maxOutsideValues` names seen (a sender can make up any name).
    private func boundedType(_ type: EventType) -> String {
        if type.isDerived { return type.rawValue }
        return Self.bounded(type.rawValue, in: eventTypes, limit: Self.maxOutsideValues)
    }

    private func boundedReason(_ reason: String?) -> String {
        guard let reason else { return "none" }
        return Self.bounded(reason, in: endReasons, limit: Self.maxEndReasons)
    }

    /// `value` if it is among the first `limit` distinct values seen, else `other`.
    private static func bounded(_ value: String, in seen: borrowing Mutex<Set<String>>, limit: Int) -> String {
        seen.withLock { seen in
            if seen.contains(value) { return value }
            guard seen.count < limit else { return "other" }
            seen.insert(value)
            return value
        }
    }

    /// Conversations tracked now, by source, platform, status and state (set at each scrape from the store).
    func setConversations(_ counts: [ConversationCount]) {
        setScraped(
            name("conversations", "", "Conversations tracked now (not vanished), by source, platform, status and state."),
            labelNames: ["source", "platform", "status", "state"],
            Self.merging(
                counts.map {
                    (
                        [$0.source, $0.platform, $0.status, Self.bounded($0.state, in: states, limit: Self.maxOutsideValues)],
                        Double($0.count)
                    )
                }))
    }

    /// A source's poll engine schedule now (set at each scrape).
    func setSchedule(source: String, _ counts: ScheduleCounts) {
        for (metric, help, value) in [
            ("poll_scheduled", "Conversations with a poll scheduled, by source.", counts.scheduled),
            ("poll_in_flight", "Polls in flight, by source.", counts.inFlight),
            ("poll_due", "Scheduled polls already due and not yet started, by source.", counts.dueNow),
            ("poll_owned", "Conversations this bridge's poll engine owns (scheduled or retired), by source.", counts.owned),
        ] {
            registry.makeGauge(descriptor: name(metric, "", help), labels: [("source", source)]).set(to: Double(value))
        }
    }

    /// Sums the values of label sets that bounding made equal (several states counted as `other`).
    private static func merging(_ values: [([String], Double)]) -> [([String], Double)] {
        var sums: [[String]: Double] = [:]
        var order: [[String]] = []
        for (labels, value) in values {
            if sums[labels] == nil { order.append(labels) }
            sums[labels, default: 0] += value
        }
        return order.map { ($0, sums[$0]!) }
    }

    /// Per source, how long its oldest open conversation has been open (sources with none open read 0).
    func setOldestOpenAge(_ ages: [(source: String, age: Duration)]) {
        setScraped(
            name("open_conversation_oldest_age", "seconds", "Age of the longest-open conversation, by source (from its start time)."),
            labelNames: ["source"], ages.map { ([$0.source], Double($0.age.wholeMilliseconds) / 1000) })
    }

    /// Sets a gauge family read from the store at scrape time; label sets present last time but not now go to 0.
    private func setScraped(_ descriptor: MetricNameDescriptor, labelNames: [String], _ values: [([String], Double)]) {
        func gauge(_ labels: [String]) -> Gauge { registry.makeGauge(descriptor: descriptor, labels: Array(zip(labelNames, labels))) }
        for (labels, value) in values { gauge(labels).set(to: value) }
        let current = Set(values.map(\.0))
        let gone = scrapedLabels.withLock { previous in
            defer { previous[descriptor.metricName] = current }
            return (previous[descriptor.metricName] ?? []).subtracting(current)
        }
        for labels in gone { gauge(labels).set(to: 0) }
    }

    // MARK: Operations

    public func attemptFinished(source: String, operation: String, status: Int?, latency: Duration) {
        let key = AttemptKey(source: source, operation: operation, status: status)
        // Looked up once per label set, not once per request (thousands a second).
        let series =
            attemptSeries.withLock { $0[key] }
            ?? {
                let made = (
                    registry.makeCounter(
                        descriptor: name(
                            "http_requests", "total", "Requests to platforms, by source, operation and status code (error: no response)."),
                        labels: [("source", source), ("operation", operation), ("code", status.map(String.init) ?? "error")]),
                    registry.makeDurationHistogram(
                        descriptor: name("http_request_duration", "seconds", "Platform request latency, by source and operation."),
                        labels: [("source", source), ("operation", operation)], buckets: Self.latencyBuckets)
                )
                attemptSeries.withLock { $0[key] = made }
                return made
            }()
        series.0.increment()
        series.1.record(latency)
        if status == 429 { rateLimitedCounter(source).increment() }
    }

    private struct AttemptKey: Hashable {
        var source: String
        var operation: String
        var status: Int?
    }

    private func rateLimitedCounter(_ source: String) -> Counter {
        registry.makeCounter(descriptor: name("http_rate_limited", "total", "429 answers from platforms, by source."), labels: [("source", source)])
    }

    /// The metrics a source's poll engine updates on every poll, made once (no lookup per poll).
    public struct SourceMetrics: Sendable {
        /// How late each due poll started.
        public let pollLag: DurationHistogram
        public let lastSuccess: Gauge
        /// Failed attempts put back into the schedule (and failed list pages asked again).
        public let retries: Counter
        /// Polls that got an answer (changed or not).
        public let polls: Counter
        /// One-second waits of polling while the outbox was over `relay.max_backlog`.
        public let backlogWaits: Counter
        /// Conversations first seen in a list page.
        public let discovered: Counter
    }

    public func sourceMetrics(_ source: String) -> SourceMetrics {
        SourceMetrics(
            pollLag: registry.makeDurationHistogram(
                descriptor: name("poll_lag", "seconds", "How late due polls started (start time - due time), by source."),
                labels: [("source", source)], buckets: Self.lagBuckets),
            lastSuccess: registry.makeGauge(
                descriptor: name("last_successful_poll", "timestamp_seconds", "Unix time of the last answer a source's platform gave."),
                labels: [("source", source)]),
            retries: registry.makeCounter(
                descriptor: name("http_retries", "total", "Failed platform requests rescheduled for another attempt, by source."),
                labels: [("source", source)]),
            polls: registry.makeCounter(
                descriptor: name("polls", "total", "Conversation polls that got an answer from the platform (changed or unchanged), by source."),
                labels: [("source", source)]),
            backlogWaits: registry.makeCounter(
                descriptor: name(
                    "poll_backlog_waits", "total",
                    "One-second waits of a source's polling because the outbox held more than relay.max_backlog records, by source."),
                labels: [("source", source)]),
            discovered: registry.makeCounter(
                descriptor: name("discovered", "total", "Conversations first seen in a list endpoint's page, by source."),
                labels: [("source", source)])
        )
    }

    func pollFailed(source: String, kind: String) {
        registry.makeCounter(
            descriptor: name("poll_failures", "total", "Polls that gave no observation, by source and reason."),
            labels: [("source", source), ("reason", kind)]
        ).increment()
    }

    func setCircuitOpen(source: String, _ open: Bool) {
        registry.makeGauge(
            descriptor: name("source_circuit_open", "", "1 while a source is paused after repeated credential refusals."),
            labels: [("source", source)]
        ).set(to: open ? 1 : 0)
    }

    func published(_ count: Int, delivery: Duration) {
        publishedCounter().increment(by: Int64(count))
        registry.makeDurationHistogram(
            descriptor: name("kafka_delivery", "seconds", "Time from handing a batch to the producer to its last delivery report."),
            labels: [], buckets: Self.deliveryBuckets
        ).record(delivery)
    }

    func deliveryFailed(_ count: Int) {
        deliveryErrorCounter().increment(by: Int64(count))
    }

    private func publishedCounter() -> Counter {
        registry.makeCounter(descriptor: name("events_published", "total", "Records Kafka acknowledged (events and state records)."), labels: [])
    }

    private func deliveryErrorCounter() -> Counter {
        registry.makeCounter(
            descriptor: name("kafka_delivery_errors", "total", "Records Kafka did not acknowledge (they stay in the outbox)."), labels: [])
    }

    func setOutbox(depth: Int, oldestAge: Duration?) {
        registry.makeGauge(descriptor: name("outbox_events", "", "Records waiting in the outbox for Kafka."), labels: []).set(to: Double(depth))
        registry.makeGauge(
            descriptor: name("outbox_oldest_age", "seconds", "Age of the oldest record waiting in the outbox (0 when empty)."), labels: []
        )
        .set(to: oldestAge.map { Double($0.wholeMilliseconds) / 1000 } ?? 0)
    }

    public func webhookAnswered(source: String, outcome: WebhookOutcome) {
        registry.makeCounter(
            descriptor: name(
                "webhook_requests", "total",
                "Webhook requests by source and outcome: accepted, duplicate (recorded within webhook.remember_for: 200, no event), bad_signature, malformed, too_large, outside_replay_window, unrecorded (503)."
            ),
            labels: [("source", source), ("outcome", outcome.rawValue)]
        ).increment()
    }

    public func requestRefusedByOpenCircuit(source: String) {
        registry.makeCounter(
            descriptor: name(
                "http_circuit_refusals", "total", "Platform requests not sent because the source's circuit was open (credentials refused), by source."
            ),
            labels: [("source", source)]
        ).increment()
    }

    // MARK: Kafka producer

    private enum KafkaCounter: String {
        case queueFullWaits = "kafka_queue_full_waits"
        case fatalErrors = "kafka_fatal_errors"
        case producerReplacements = "kafka_producer_replacements"

        var help: String {
            switch self {
            case .queueFullWaits: "Times publishing waited because librdkafka's queue was full (queue.buffering.max.messages)."
            case .fatalErrors: "Fatal errors the Kafka producer raised."
            case .producerReplacements: "Kafka producers created to replace one that raised a fatal error."
            }
        }
    }

    private func kafkaCounter(_ counter: KafkaCounter) -> Counter {
        registry.makeCounter(descriptor: name(counter.rawValue, "total", counter.help), labels: [])
    }

    public func publisherWaitedForQueueSpace() { kafkaCounter(.queueFullWaits).increment() }
    public func publisherFatalError() { kafkaCounter(.fatalErrors).increment() }
    public func publisherReplacedProducer() { kafkaCounter(.producerReplacements).increment() }

    func setRecordsInFlight(_ count: Int) {
        registry.makeGauge(
            descriptor: name("kafka_records_in_flight", "", "Records handed to the Kafka producer whose delivery report has not arrived."),
            labels: []
        ).set(to: Double(count))
    }

    /// A connection closed because its client was too slow to send its request head or body.
    func slowClientClosed(listener: String, phase: String) {
        registry.makeCounter(
            descriptor: name(
                "http_slow_clients_closed", "total",
                "Connections closed because the client took longer than server.header_timeout or server.body_timeout, by listener and phase."),
            labels: [("listener", listener), ("phase", phase)]
        ).increment()
    }

    /// An admin request with a missing or wrong token.
    func adminTokenRefused() {
        registry.makeCounter(
            descriptor: name("admin_auth_failures", "total", "Admin API requests refused for a missing or wrong bearer token."),
            labels: []
        ).increment()
    }

    /// Records moved out of the outbox into the quarantine (refused by Kafka for good, or unreadable).
    func quarantined(_ count: Int) {
        registry.makeCounter(
            descriptor: name(
                "outbox_quarantined", "total", "Records moved to the quarantine: Kafka refused them for good or their outbox row could not be read."),
            labels: []
        ).increment(by: Int64(count))
    }

    func setQuarantine(depth: Int) {
        registry.makeGauge(
            descriptor: name(
                "quarantine_records", "",
                "Records in the quarantine; their conversations' later records wait behind them (admin API: /admin/quarantine)."),
            labels: []
        ).set(to: Double(depth))
    }

    func setStoreDiskFull(_ full: Bool) {
        registry.makeGauge(
            descriptor: name(
                "store_disk_full", "",
                "1 while the store's disk is full or below store.min_free_space: polling, discovery and the ids topic are paused."),
            labels: []
        ).set(to: full ? 1 : 0)
    }

    /// The exposition text.
    public func render() -> [UInt8] { registry.emitToBuffer() }

    /// Every value now, to read back (the registry has no read API of its own).
    public func snapshot() -> MetricsSnapshot { MetricsSnapshot(exposition: render()) }
}
