extension Duration {
    /// Whole milliseconds, rounded toward zero: what librdkafka's `*.ms` properties, HTTP timeouts and jitter use.
    public var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
