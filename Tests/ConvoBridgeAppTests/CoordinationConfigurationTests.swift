import ConvoBridgeApp
import ConvoBridgeCore
import Foundation
import Testing

@Suite("Configuration of replicas: standalone by default, the kafka mode's keys and defaults, errors that name the key")
struct CoordinationConfigurationTests {
    static func load(_ coordination: String) throws(ConfigurationError) -> BridgeConfiguration {
        try ConfigurationLoader(environment: ["TOKEN": "tok-123"]).load(
            yaml: """
                kafka:
                  bootstrap_servers: localhost:9092
                sources:
                  - name: zild-prod
                    platform: zild
                    base_url: https://api.zild.example
                    auth:
                      token_env: TOKEN
                \(coordination)
                """)
    }

    static func problems(_ coordination: String) -> [String] {
        do {
            _ = try load(coordination)
            return []
        } catch {
            return error.problems
        }
    }

    @Test("Without a coordination section the bridge is standalone, as before")
    func standaloneByDefault() throws {
        #expect(try Self.load("").coordination == .standalone)
        #expect(try Self.load("coordination: {mode: standalone}").coordination == .standalone)
    }

    @Test("kafka mode: every key, and the type's defaults for those left out; check-config lists them")
    func kafkaMode() throws {
        let full = try Self.load(
            """
            coordination:
              mode: kafka
              group_id: bridge-eu
              partitions: 48
              watch_topic: eu-watch
              state_topic: eu-state
              handoff_topic: eu-handoff
              replica_id: convobridge-2
              session_timeout: 20s
              static_membership: false
            """)
        #expect(
            full.coordination
                == .kafka(
                    .init(
                        groupID: "bridge-eu", partitions: 48, watchTopic: "eu-watch", stateTopic: "eu-state", handoffTopic: "eu-handoff",
                        replicaID: "convobridge-2",
                        sessionTimeout: .seconds(20), staticMembership: false)))
        #expect(full.effectiveSettings.contains { $0.path == "coordination.partitions" && $0.value == "48" })
        guard case .kafka(let defaults) = try Self.load("coordination: {mode: kafka}").coordination else {
            Issue.record("expected the kafka mode")
            return
        }
        #expect(defaults == .init(replicaID: ProcessInfo.processInfo.hostName))
        #expect(defaults.partitions == 24 && defaults.groupID == "convobridge" && defaults.staticMembership)
        #expect(defaults.handoffTopic == "convobridge-handoff")
        #expect(defaults.transactionalID(partition: 7) == "convobridge-p7")
    }

    @Test(
        "Bad values are refused naming the key",
        arguments: [
            ("coordination: {mode: cluster}", "coordination.mode: must be standalone or kafka"),
            ("coordination: {mode: kafka, partitions: 0}", "coordination.partitions"),
            ("coordination: {mode: kafka, partitions: 5000}", "coordination.partitions"),
            ("coordination: {mode: kafka, session_timeout: 1s}", "coordination.session_timeout: must be between 6s and 300s"),
            ("coordination: {mode: kafka, replica_id: \"a b\"}", "coordination.replica_id: must be 1 to 200 characters"),
            ("coordination: {mode: kafka, watch_topic: t, state_topic: t}", "coordination.state_topic: must differ from watch_topic"),
            ("coordination: {mode: kafka, watch_topic: conversation-events}", "coordination: conversation-events is also one of kafka's topics"),
            (
                "coordination: {mode: kafka, handoff_topic: convobridge-state}",
                "coordination.handoff_topic: must differ from watch_topic and state_topic"
            ),
            ("coordination: {mode: kafka, handoff_topic: conversation-state}", "coordination: conversation-state is also one of kafka's topics"),
            (
                "coordination: {mode: kafka}\nserver: {listen: \"127.0.0.1:8080\", max_body_bytes: 1048576}",
                "server.max_body_bytes: must be at most 524288 with coordination.mode kafka"
            ),
            ("coordination: {mode: kafka, members: 3}", "coordination.members: unknown key"),
        ])
    func refused(yaml: String, expected: String) {
        let problems = Self.problems(yaml)
        #expect(problems.contains { $0.hasPrefix(expected) }, "\(problems)")
    }
}
