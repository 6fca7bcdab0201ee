import ConvoBridgeCore

/// `convobridge deliver`'s probes: ready when Kafka answers; the metrics with each subscription's gauges refreshed.
struct DeliveryProbes: ListenerProbes {
    let readiness: ReadinessCache
    let deliverer: WebhookDeliverer
    let metrics: BridgeMetrics

    func metricsText() async -> [UInt8] {
        deliverer.updateGauges()
        return metrics.render()
    }

    func ready() -> (ready: Bool, detail: JSONValue) {
        let checks = readiness.checks
        let ready = checks.checked && checks.kafkaConnected
        return (ready, .object(["ready": .bool(ready), "checked": .bool(checks.checked), "kafka": .bool(checks.kafkaConnected)]))
    }
}
