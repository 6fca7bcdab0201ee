extension Duration {
    /// Whole milliseconds, rounded toward zero: what librdkafka's `*.ms` properties, HTTP timeouts and jitter use.
    /// Saturates at the ends of `Int64` (a duration built from an outside value must not trap here).
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (total, overflowAdding) = milliseconds.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflowAdding ? (seconds < 0 ? .min : .max) : total
    }
}
