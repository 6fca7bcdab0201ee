import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import Logging
import NIOHTTP1
import ServiceLifecycle
import Testing

@testable import ConvoBridgeApp

@Suite("convobridge deliver's process: its listener, the subscriptions' admin API, replay", .serialized, .timeLimit(.minutes(2)))
struct WebhookDeliveryProcessTests {
    static let token = AdminAPITests.token

    static func configuration(bootstrap: String, receiverPort: Int) throws -> BridgeConfiguration {
        try ConfigurationLoader(environment: ["HOOK_SECRET": WebhookDeliveryTests.secret, "TOKEN": token, "ZILD_JWT": "jwt-123456"]).load(
            yaml: """
                kafka:
                  bootstrap_servers: "\(bootstrap)"
                  properties: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
                server: {listen: "127.0.0.1:0", admin_token_env: TOKEN}
                sources:
                  - {name: jelou-test, platform: zild, base_url: "https://zild.example", auth: {token_env: ZILD_JWT}}
                webhooks:
                  retry_schedule: [50ms]
                  commit_interval: 100ms
                  subscriptions:
                    - name: crm
                      url: http://127.0.0.1:\(receiverPort)/hook
                      secret_env: HOOK_SECRET
                      allow_private_network: true
                      timeout: 2s
                """)
    }

    @Test("Metrics and readiness on --listen; list, pause, resume and replay with the token; 401 without, 404 and 400 named")
    func adminAndReplay() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("conversation-events", partitions: 2)
        let receiver = try RecordingWebhookReceiver(secret: WebhookDeliveryTests.secret) { _, _, _ in .init(status: 200) }
        try await receiver.serving { receiver in
            let configuration = try Self.configuration(bootstrap: cluster.bootstrapServers, receiverPort: receiver.port!)
            let process = try WebhookDeliveryProcess(
                configuration: configuration, listen: .init(host: "127.0.0.1", port: 0), logger: WebhookDeliveryTests.logger)
            let group = ServiceGroup(services: process.services, gracefulShutdownSignals: [], logger: WebhookDeliveryTests.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let port = try #require(await process.port())
                let base = "http://127.0.0.1:\(port)"
                let publisher = try KafkaPublisher(
                    configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: WebhookDeliveryTests.logger)
                let publishing = ServiceGroup(services: [publisher], gracefulShutdownSignals: [], logger: WebhookDeliveryTests.logger)
                tasks.addTask { try await publishing.run() }
                try await WebhookDeliveryTests.publish(WebhookDeliveryTests.events(conversations: 3, perConversation: 2), publisher)
                try await WebhookDeliveryTests.waitUntil("delivered") { receiver.deliveredSequences.values.map(\.count).reduce(0, +) == 6 }
                try await WebhookDeliveryTests.waitUntil("ready") { try await AdminAPITests.call(.GET, base + "/readyz", token: nil).status == 200 }

                #expect(try await AdminAPITests.call(.GET, base + "/admin/subscriptions", token: nil).status == 401)
                let list = try await AdminAPITests.call(.GET, base + "/admin/subscriptions")
                #expect(list.status == 200)
                #expect(list.body.arrayValue?.first?["name"]?.stringValue == "crm")
                #expect(list.body.arrayValue?.first?["status"]?.stringValue == "active")
                #expect(list.body.arrayValue?.first?["url"]?.stringValue == "http://127.0.0.1:\(receiver.port!)/hook")

                let paused = try await AdminAPITests.call(.POST, base + "/admin/subscriptions/crm/pause")
                #expect(paused.status == 200 && paused.body["status"]?.stringValue == "paused")
                let resumed = try await AdminAPITests.call(.POST, base + "/admin/subscriptions/crm/resume")
                #expect(resumed.status == 200 && resumed.body["status"]?.stringValue == "active")
                #expect(try await AdminAPITests.call(.POST, base + "/admin/subscriptions/nope/pause").status == 404)
                #expect(try await AdminAPITests.call(.POST, base + "/admin/subscriptions/crm/replay", body: #"{"from": "yesterday"}"#).status == 400)
                #expect(try await AdminAPITests.call(.POST, base + "/admin/subscriptions/crm/replay", body: "{}").status == 400)

                let replay = try await AdminAPITests.call(
                    .POST, base + "/admin/subscriptions/crm/replay", body: #"{"conversation": "jelou-test/c-1"}"#)
                #expect(replay.status == 202 && replay.body["accepted"]?.boolValue == true)
                try await WebhookDeliveryTests.waitUntil("the conversation delivered again") {
                    receiver.received.filter { $0.conversation == "jelou-test/c-1" }.count == 4
                }
                let again = receiver.received.filter { $0.conversation == "jelou-test/c-1" }.map(\.sequence)
                #expect(again == [1, 2, 1, 2], "the replay goes in order, after what was delivered")
                #expect(receiver.received.count == 8, "only that conversation")

                // The receiver records a delivery before its answer reaches the deliverer, which counts it then.
                let delivered = #"convobridge_webhook_deliveries_total{subscription="crm"} 8"#
                try await WebhookDeliveryTests.waitUntil("eight deliveries counted") {
                    try await ObservabilityTests.get(base + "/metrics").body.contains(delivered)
                }
                let metrics = try await ObservabilityTests.get(base + "/metrics").body
                // Every outbound webhook metric the alert rules use is exported, at 0 when nothing happened.
                let groups = try DeployFilesTests.yaml("deploy/prometheus/convobridge-alerts.yaml")["groups"]?.arrayValue ?? []
                let expressions = groups.flatMap { $0["rules"]?.arrayValue ?? [] }.compactMap { $0["expr"]?.stringValue }
                let used = Set(expressions.flatMap { $0.matches(of: /convobridge_[a-z_]+/).map { String($0.output) } })
                    .filter(ObservabilityTests.isOutboundWebhookMetric)
                #expect(used.count >= 3)
                for metric in used { #expect(metrics.contains("\n\(metric){"), "\(metric) is exported") }
                await publishing.triggerGracefulShutdown()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
