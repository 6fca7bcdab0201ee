public import ConvoBridgeKafka

extension KafkaError.Code {
    /// The embedded (mock) cluster refused an operation.
    public static let embeddedCluster = Self("embedded cluster operation failed")
}
