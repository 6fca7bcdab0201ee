public import ConvoBridgeCore
public import Prometheus

extension BridgeMetrics {
    /// One subscription's delivery metrics, made once when its deliverer starts (no lookup per event).
    public struct SubscriptionMetrics: Sendable {
        public let delivered: Counter
        public let deadLettered: Counter
        /// Records of the events topic that are no event (not CloudEvents): skipped.
        public let skipped: Counter
        /// From the event's time to its successful delivery.
        public let latency: DurationHistogram
        public let pending: Gauge
        public let retrying: Gauge
        public let oldestPendingAge: Gauge
        public let disabled: Gauge
        public let paused: Gauge
        let failedAttempt: @Sendable (String) -> Counter

        /// A failed attempt, by status code, `timeout` or `error`.
        public func attemptFailed(_ result: DeliveryAttemptResult) { failedAttempt(result.statusLabel).increment() }
    }

    public func subscriptionMetrics(_ subscription: String) -> SubscriptionMetrics {
        let labels = [("subscription", subscription)]
        let registry = self.registry
        let metrics = SubscriptionMetrics(
            delivered: registry.makeCounter(
                descriptor: name("webhook_deliveries", "total", "Events delivered (2xx) to a subscriber, by subscription."), labels: labels),
            deadLettered: registry.makeCounter(
                descriptor: name(
                    "webhook_dead_lettered", "total", "Events written to the dead-letter topic after their last attempt, by subscription."),
                labels: labels),
            skipped: registry.makeCounter(
                descriptor: name("webhook_skipped_records", "total", "Records of the events topic that are no CloudEvent, skipped, by subscription."),
                labels: labels),
            latency: registry.makeDurationHistogram(
                descriptor: name("webhook_delivery_latency", "seconds", "From an event's time to its delivery, by subscription."),
                labels: labels, buckets: Self.lagBuckets),
            pending: registry.makeGauge(
                descriptor: name("webhook_pending_events", "", "Events read and not yet delivered or dead-lettered, by subscription."), labels: labels
            ),
            retrying: registry.makeGauge(
                descriptor: name("webhook_retries_pending", "", "Conversations whose next event waits for a retry, by subscription."), labels: labels),
            oldestPendingAge: registry.makeGauge(
                descriptor: name(
                    "webhook_oldest_pending_age", "seconds",
                    "Age (from its time) of the oldest event not yet delivered or dead-lettered, by subscription."),
                labels: labels),
            disabled: registry.makeGauge(
                descriptor: name("webhook_subscription_disabled", "", "1 while a subscription is disabled by a 410 Gone answer."), labels: labels),
            paused: registry.makeGauge(
                descriptor: name("webhook_subscription_paused", "", "1 while an operator has paused a subscription."), labels: labels),
            failedAttempt: { [self] status in
                registry.makeCounter(
                    descriptor: name(
                        "webhook_delivery_failed_attempts", "total",
                        "Failed delivery attempts to a subscriber, by subscription and status (a code, timeout, or error: no answer)."),
                    labels: labels + [("status", status)])
            }
        )
        for status in ["500", "timeout", "error"] { _ = metrics.failedAttempt(status) }
        return metrics
    }
}
