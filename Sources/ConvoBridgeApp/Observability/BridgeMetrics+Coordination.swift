import Prometheus

/// Replicas coordinated by Kafka: ownership, restores, rebalances, transactions.
extension BridgeMetrics {
    enum TransactionOutcome: String {
        case committed, aborted, fenced
    }

    func setOwnedPartitions(_ count: Int, replica: String) {
        registry.makeGauge(
            descriptor: name("partitions_owned", "", "Coordination partitions this replica owns and polls."), labels: [("replica", replica)]
        ).set(to: Double(count))
    }

    func rebalanced() {
        registry.makeCounter(descriptor: name("rebalances", "total", "Changes of this replica's partition assignment."), labels: [])
            .increment()
    }

    /// - Parameter kind: `full` (the whole partition read) or `incremental` (from this replica's checkpoint).
    func restored(kind: String, records: Int, conversations: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: name(
                "restores", "total",
                "Partitions taken over: full (the whole state partition read) or incremental (from this replica's checkpoint of it)."),
            labels: [("kind", kind)]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: name("restore", "seconds", "Time to take over a partition: fence its last producer and read its state back."),
            labels: [], buckets: [.milliseconds(50), .milliseconds(200), .seconds(1), .seconds(5), .seconds(20), .seconds(60)]
        ).record(duration)
        registry.makeCounter(descriptor: name("restored_records", "total", "State records read back when taking over partitions."), labels: [])
            .increment(by: Int64(records))
        registry.makeCounter(
            descriptor: name("restored_conversations", "total", "Conversations restored when taking over partitions."), labels: []
        ).increment(by: Int64(conversations))
    }

    func restoreFailed() {
        registry.makeCounter(descriptor: name("restore_failures", "total", "Partition takeovers that failed and wait to be tried again."), labels: [])
            .increment()
    }

    func transaction(_ outcome: TransactionOutcome) {
        registry.makeCounter(
            descriptor: name(
                "transactions", "total",
                "Kafka transactions of the partition producers: committed, aborted (tried again), fenced (another replica took the partition)."),
            labels: [("outcome", outcome.rawValue)]
        ).increment()
    }

    func webhookHandoffs(_ outcome: String) {
        registry.makeCounter(
            descriptor: name(
                "webhook_handoffs", "total",
                "Webhook events of another replica's conversation: handed_off (written to the handoff topic), forwarded (by the owner), duplicate, skipped (unreadable)."
            ),
            labels: [("outcome", outcome)]
        ).increment()
    }

    func watchRecords(_ outcome: String, count: Int = 1) {
        registry.makeCounter(
            descriptor: name(
                "watch_records", "total", "Watch topic records: handed_off (written for another replica), applied, skipped (unreadable)."),
            labels: [("outcome", outcome)]
        ).increment(by: Int64(count))
    }
}
