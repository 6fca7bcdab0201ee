public import ConvoBridgeKafka
import Crdkafka.Mock

/// An in-process Kafka cluster: librdkafka's mock cluster, a real Kafka-protocol server on loopback ports.
///
/// Clients in this process or any other (kcat, another `convobridge`) connect to ``bootstrapServers``. Data lives
/// in memory only. Serves the demo, `convobridge kafka-dev`, and tests, which also use its fault injection.
///
/// `@unchecked Sendable`: the mock cluster's API is thread-safe (it posts operations to the cluster's thread).
public final class EmbeddedKafkaCluster: @unchecked Sendable {
    /// Comma-separated `127.0.0.1:port` list of the brokers.
    public let bootstrapServers: String
    /// Broker ids are 1...brokerCount.
    public let brokerCount: Int

    private let host: OpaquePointer
    private let cluster: OpaquePointer

    /// Starts a cluster of `brokers` brokers.
    /// - Throws: ``KafkaError`` when librdkafka cannot start it.
    public init(brokers: Int = 1) throws {
        guard brokers >= 1 else {
            throw KafkaError(code: .embeddedCluster, message: "an embedded cluster needs at least one broker, not \(brokers)")
        }
        // The cluster needs a client handle to live in; this one never connects anywhere. Only critical logs,
        // printed by librdkafka itself: nobody serves this handle's queue.
        let conf = try RDKafkaConfig.make([("log_level", "2")])
        var errorText = [CChar](repeating: 0, count: 512)
        guard let host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: .embeddedCluster, message: RDKafkaConfig.string(buffer: errorText))
        }
        guard let cluster = rd_kafka_mock_cluster_new(host, Int32(brokers)) else {
            rd_kafka_destroy(host)
            throw KafkaError(code: .embeddedCluster, message: "librdkafka could not start a mock cluster")
        }
        self.host = host
        self.cluster = cluster
        self.brokerCount = brokers
        self.bootstrapServers = RDKafkaConfig.string(rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(host)
    }

    /// Creates a topic (topics are also auto-created on first use, with the mock's default of 4 partitions).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        try check(
            rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(min(replicationFactor, brokerCount))),
            "create topic '\(name)'"
        )
    }

    /// Takes a broker down: its connections close and it accepts no new ones.
    public func setBrokerDown(_ brokerID: Int32) throws {
        try check(rd_kafka_mock_broker_set_down(cluster, brokerID), "set broker \(brokerID) down")
    }

    /// Brings a broker back up.
    public func setBrokerUp(_ brokerID: Int32) throws {
        try check(rd_kafka_mock_broker_set_up(cluster, brokerID), "set broker \(brokerID) up")
    }

    /// Delays every response of a broker by `milliseconds`.
    public func setRoundTripTime(broker brokerID: Int32, milliseconds: Int) throws {
        try check(rd_kafka_mock_broker_set_rtt(cluster, brokerID, Int32(milliseconds)), "set broker \(brokerID) RTT")
    }

    /// Makes the next requests of type `api` (on any broker) fail with `errors`, one per request, in order.
    public func pushRequestErrors(_ api: KafkaAPI, _ errors: [KafkaErrorCode]) {
        var codes = errors.map { rd_kafka_resp_err_t(rawValue: $0.rawValue) }
        rd_kafka_mock_push_request_errors_array(cluster, api.rawValue, codes.count, &codes)
    }

    private func check(_ code: rd_kafka_resp_err_t, _ action: String) throws {
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(
                code: .embeddedCluster,
                message: "could not \(action): \(RDKafkaConfig.errorName(code))",
                rdKafkaCode: code.rawValue
            )
        }
    }
}
