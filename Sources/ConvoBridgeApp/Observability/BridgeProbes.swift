import ConvoBridgeCore
import ConvoBridgeStore

/// What `/metrics`, `/healthz` and `/readyz` read: scrape-time gauges and the readiness checks.
struct BridgeProbes: ListenerProbes {
    let store: BridgeStore
    let readiness: ReadinessCache
    let pollers: [SourcePoller]
    let metrics: BridgeMetrics
    let publisherInFlight: @Sendable () -> Int
    let deliverer: WebhookDeliverer?
    /// With replicas: not ready until the first assignment's partitions are restored.
    var coordinator: ReplicaCoordinator? = nil
    let now: @Sendable () -> Timestamp

    /// The exposition text, with the gauges that are read from the store refreshed first.
    func metricsText() async -> [UInt8] {
        let time = now()
        if let counts = try? await store.conversationCounts() { metrics.setConversations(counts) }
        if let oldest = try? await store.oldestOpenStart() {
            metrics.setOldestOpenAge(
                oldest.map { ($0.source, .milliseconds(max(0, time.millisecondsSinceEpoch - $0.startedAt.millisecondsSinceEpoch))) })
        }
        let depth = (try? await store.outboxCount()) ?? 0
        let oldest = (try? await store.oldestOutboxTime()) ?? nil
        metrics.setOutbox(depth: depth, oldestAge: oldest.map { .milliseconds(max(0, time.millisecondsSinceEpoch - $0.millisecondsSinceEpoch)) })
        if let quarantined = try? await store.quarantineCount() { metrics.setQuarantine(depth: quarantined) }
        metrics.setStoreDiskFull(store.isDiskFull)
        metrics.setRecordsInFlight(publisherInFlight())
        deliverer?.updateGauges()
        for poller in pollers {
            _ = poller.health(now: time)
            metrics.setSchedule(source: poller.source, poller.scheduleCounts())
        }
        return metrics.render()
    }

    /// Ready when the store answers and can write (its disk is not full), a Kafka broker answers, and every source
    /// answered recently with its credentials accepted. The JSON says which check failed. From memory: the store and
    /// Kafka are checked in the background (``ReadinessCache``).
    func ready() -> (ready: Bool, detail: JSONValue) {
        let time = now()
        let checks = readiness.checks
        let storeOK = checks.storeReadable
        let diskFull = store.isDiskFull
        metrics.setStoreDiskFull(diskFull)
        let kafkaOK = checks.kafkaConnected
        let sources = pollers.map { $0.health(now: time) }
        let replica = coordinator?.readiness
        let ready = checks.checked && storeOK && !diskFull && kafkaOK && sources.allSatisfy(\.ready) && (replica?.ready ?? true)
        var replicaDetail: JSONValue?
        if let replica, let coordinator {
            replicaDetail = .object([
                "id": .string(coordinator.group.replicaID), "restored": .bool(replica.ready),
                "partitions_owned": .array(replica.owned.sorted().map { .integer($0) }), "partitions_restoring": .integer(replica.restoring),
            ])
        }
        var detail: JSONObject = [
            "ready": .bool(ready),
            "checked": .bool(checks.checked),
            "store": .bool(storeOK),
            "store_disk_full": .bool(diskFull),
            "kafka": .bool(kafkaOK),
            "sources": .object(
                JSONObject(
                    sources.map { health in
                        JSONObject.Member(
                            key: health.source,
                            value: .object([
                                "ready": .bool(health.ready),
                                "circuit_open": .bool(health.circuitOpen),
                                "last_success": .optional(health.lastSuccess?.rfc3339),
                            ]))
                    })),
        ]
        detail["replica"] = replicaDetail
        return (ready, .object(detail))
    }
}
