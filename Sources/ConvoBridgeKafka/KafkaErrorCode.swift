/// A Kafka protocol or librdkafka error code, for fault injection into the embedded cluster.
///
/// Wraps librdkafka's number so callers never import the C module.
public struct KafkaErrorCode: RawRepresentable, Sendable, Hashable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let notLeaderForPartition = KafkaErrorCode(rawValue: 6)
    public static let requestTimedOut = KafkaErrorCode(rawValue: 7)
    public static let networkException = KafkaErrorCode(rawValue: 13)
    public static let notEnoughReplicas = KafkaErrorCode(rawValue: 19)
    /// librdkafka's local transport failure (`_TRANSPORT`).
    public static let transport = KafkaErrorCode(rawValue: -195)
}
