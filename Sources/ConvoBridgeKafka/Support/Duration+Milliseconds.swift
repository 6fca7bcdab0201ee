extension Duration {
    /// Whole milliseconds, as librdkafka's `*.ms` properties and timeouts take them.
    var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
