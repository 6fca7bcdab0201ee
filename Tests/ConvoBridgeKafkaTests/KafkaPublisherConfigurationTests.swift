import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeTestSupport
import Testing

@Suite("Publisher configuration")
struct KafkaPublisherConfigurationTests {
    @Test(
        "properties that would weaken the guarantee are refused, naming the property",
        arguments: [
            ("acks", "1"), ("enable.idempotence", "false"), ("request.required.acks", "0"),
        ])
    func weakeningPropertiesRefused(property: String, value: String) throws {
        let configuration = KafkaPublisherConfiguration(bootstrapServers: "127.0.0.1:1", properties: [property: value])
        let error = try #require(throws: KafkaError.self) {
            try KafkaPublisher(configuration: configuration, logger: PublisherHarness.logger)
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains(property))
    }

    @Test("an unknown property is refused by name")
    func unknownProperty() throws {
        let configuration = KafkaPublisherConfiguration(bootstrapServers: "127.0.0.1:1", properties: ["no.such.property": "1"])
        let error = try #require(throws: KafkaError.self) {
            try KafkaPublisher(configuration: configuration, logger: PublisherHarness.logger)
        }
        #expect(error.message.contains("no.such.property"))
    }

    @Test("secret property values never reach the logs, even with librdkafka's debug logging on")
    func secretsStayOutOfLogs() async throws {
        let harness = try PublisherHarness()
        let captured = CapturedLogs()
        let configuration = harness.configuration(properties: [
            "debug": "conf,generic,security,broker",
            "sasl.username": "bridge",
            "sasl.password": "s3cr3t-value",
        ])
        let reports = try await harness.withPublisher(configuration, logger: captured.logger) { publisher, _ in
            try await publisher.publish(PublisherHarness.events(keys: 1, perKey: 1))
        }
        #expect(reports.map(\.status) == [.persisted])
        #expect(!captured.lines.isEmpty, "nothing was logged: the test would pass vacuously")
        #expect(!captured.lines.contains { $0.contains("s3cr3t-value") })
    }

    @Test("pass-through properties reach librdkafka (compression)")
    func passThrough() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 3, perKey: 3)
        let reports = try await harness.withPublisher(harness.configuration(properties: ["compression.type": "lz4"])) {
            publisher, _ in try await publisher.publish(records)
        }
        #expect(reports.allSatisfy { $0.status == .persisted })
    }
}
