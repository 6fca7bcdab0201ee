import ConvoBridgeCore

/// What a listener's `/metrics` and `/readyz` answer: the bridge's (``BridgeProbes``) or the deliverer's
/// (``DeliveryProbes``).
protocol ListenerProbes: Sendable {
    /// The exposition text, scrape-time gauges refreshed first.
    func metricsText() async -> [UInt8]
    /// Whether the process is ready, and the JSON detail of each check.
    func ready() -> (ready: Bool, detail: JSONValue)
}
