import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import Testing

@Suite("Fault commands for the embedded cluster (kafka-dev's standard input)")
struct EmbeddedClusterCommandTests {
    @Test("Commands parse, error names resolve through librdkafka, and bad lines say what is wrong")
    func parsing() throws {
        #expect(try EmbeddedClusterCommand(parsing: "down") == .down(broker: nil))
        #expect(try EmbeddedClusterCommand(parsing: " up 2 ") == .up(broker: 2))
        #expect(try EmbeddedClusterCommand(parsing: "rtt all 250") == .roundTripTime(broker: nil, milliseconds: 250))
        #expect(
            try EmbeddedClusterCommand(parsing: "errors produce not_leader_for_partition,REQUEST_TIMED_OUT,_transport x2")
                == .requestErrors(
                    .produce, [.notLeaderForPartition, .requestTimedOut, .transport, .notLeaderForPartition, .requestTimedOut, .transport]))
        #expect(try EmbeddedClusterCommand(parsing: "errors metadata 13") == .requestErrors(.metadata, [.networkException]))
        #expect(KafkaErrorCode.transport.name == "_TRANSPORT" && KafkaErrorCode(name: "TRANSPORT") == .transport)
        #expect(KafkaErrorCode(name: "99999") == nil && KafkaErrorCode(name: "") == nil)
        for (line, problem) in [
            ("explode", "unknown command"), ("down zero", "zero is not a broker id"),
            ("errors produce NOT_AN_ERROR", "NOT_AN_ERROR is not a Kafka error name"),
            ("errors offsets REQUEST_TIMED_OUT", "offsets is not a request type"),
            ("errors produce REQUEST_TIMED_OUT 3", "3 is not a repeat count"), ("rtt 1", "rtt takes"),
        ] {
            let error = #expect(throws: KafkaError.self) { try EmbeddedClusterCommand(parsing: line) }
            #expect(error?.message.contains(problem) == true && error?.message.contains(line) == true, "\(String(describing: error))")
        }
    }

    @Test("Applied to a cluster: down, up, request errors and delay are accepted; an unknown broker is refused")
    func applying() throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 2)
        #expect(try EmbeddedClusterCommand(parsing: "down").apply(to: cluster) == "broker(s) 1,2 down")
        #expect(try EmbeddedClusterCommand(parsing: "up 1").apply(to: cluster) == "broker(s) 1 up")
        #expect(
            try EmbeddedClusterCommand(parsing: "errors produce _TRANSPORT x3").apply(to: cluster) == "the next 3 produce request(s) fail: _TRANSPORT"
        )
        #expect(try EmbeddedClusterCommand(parsing: "rtt 2 100").apply(to: cluster) == "broker(s) 2 answer 100 ms late")
        #expect(throws: KafkaError.self) { try EmbeddedClusterCommand(parsing: "down 9").apply(to: cluster) }
    }
}
