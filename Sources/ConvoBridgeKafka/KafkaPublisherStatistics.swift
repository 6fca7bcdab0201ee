/// Counters of a publisher since it was created.
public struct KafkaPublisherStatistics: Sendable, Hashable {
    /// Records handed to librdkafka.
    public var enqueued: UInt64 = 0
    /// Records the broker acknowledged.
    public var persisted: UInt64 = 0
    /// Records reported not (or possibly not) persisted.
    public var failed: UInt64 = 0
    /// Times a publish waited because librdkafka's queue was full.
    public var queueFullWaits: UInt64 = 0
    /// Fatal producer errors seen.
    public var fatalErrors: UInt64 = 0
    /// Producers created after a fatal error.
    public var recreations: UInt64 = 0
    /// Records still awaiting their delivery report.
    public var inFlight: Int = 0

    public init() {}
}
