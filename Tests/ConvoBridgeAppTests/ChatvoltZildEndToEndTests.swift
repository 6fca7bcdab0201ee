import AsyncHTTPClient
import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import ConvoBridgeServer
import ConvoBridgeSigning
import ConvoBridgeSimulator
import ConvoBridgeTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite("Chatvolt and Zild end to end: simulator → bridge → Kafka", .serialized)
struct ChatvoltZildEndToEndTests {
    static func configuration(_ harness: BridgeHarness, _ source: BridgeConfiguration.Source) -> BridgeConfiguration {
        var configuration = harness.configuration()
        configuration.sources = [source]
        return configuration
    }

    static func post(_ url: String, _ body: String, headers: [(String, String)]) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    @Test("Chatvolt: discovered from the list, then every event type Chatvolt can produce, in order, nothing lost")
    func chatvolt() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        let key = "chatvolt-test/cv-1"
        func count(_ type: String) -> ([ConsumedRecord]) -> Bool {
            { records in records.filter { $0.keyString == key && $0.header("ce_type") == type }.count >= 1 }
        }
        try await harness.withBridge(Self.configuration(harness, harness.source(.chatvolt, name: "chatvolt-test"))) { _ in
            try harness.world.create(id: "cv-1")
            try await events.waitUntil("discovery by listing", count("conversation.discovered"))
            try harness.world.assign("cv-1", operator: "Ana Torres", team: "Soporte")
            try await events.waitUntil("handoff to a human", count("conversation.assignment_changed"))
            try harness.world.close("cv-1")
            try await events.waitUntil("resolved", count("conversation.closed"))
            try harness.world.setEndedReason("cv-1", "closed_by_user")
            try harness.world.reopen("cv-1")
            try await events.waitUntil("reopened", count("conversation.reopened"))
            try harness.world.delete("cv-1")
            try await events.waitUntil("vanished", count("conversation.vanished"))
        }
        #expect(
            events.types(of: "cv-1", source: "chatvolt-test") == [
                "conversation.discovered",
                "conversation.state_changed", "conversation.assignment_changed", "conversation.updated",
                "conversation.closed",
                "conversation.reopened",
                "conversation.vanished",
            ], "Chatvolt has no end reason: changing it in the platform's world is not an event")
        BridgeEndToEndTests.checkContract(events.records, key: key)
        let stateChanged = try JSONParser.parse(events.events(of: "cv-1", source: "chatvolt-test")[1].value ?? [])
        #expect(stateChanged["transition"]?["from"] == .string("UNRESOLVED") && stateChanged["transition"]?["to"] == .string("HUMAN_REQUESTED"))
        #expect(stateChanged["platform"] == .string("chatvolt"))
        let reopened = try JSONParser.parse(events.events(of: "cv-1", source: "chatvolt-test")[5].value ?? [])
        #expect(reopened["after"]?["state"] == .string("HUMAN_REQUESTED"))
    }

    @Test(
        "Zild: ids from the configuration and from a Kafka topic of ids; every event type Zild can produce, in order; its webhook with a shared secret"
    )
    func zild() async throws {
        let harness = try await BridgeHarness()
        try harness.cluster.createTopic("zild-ids", partitions: 2)
        let events = try TopicCollector(harness)
        let fromConfig = try harness.world.create(id: "z-a").conversation.number
        let fromTopic = try harness.world.create(id: "z-b").conversation.number
        var source = harness.source(.zild, name: "zild-test")
        source.conversationIDs = [String(fromConfig)]
        source.idsTopic = "zild-ids"
        source.webhook = .init(
            path: "/webhooks/zild-test", verification: .sharedSecret(header: "X-Zild-Secret", secret: "zild-webhook-secret"),
            format: .zild, secret: "zild-webhook-secret")
        let keyA = "zild-test/\(fromConfig)"
        let keyB = "zild-test/\(fromTopic)"
        func has(_ key: String, _ type: String, _ times: Int = 1) -> ([ConsumedRecord]) -> Bool {
            { records in records.filter { $0.keyString == key && $0.header("ce_type") == type }.count >= times }
        }
        try await harness.withBridge(Self.configuration(harness, source)) { bridge in
            try await events.waitUntil("the configured id discovered", has(keyA, "conversation.discovered"))
            // An upstream system names the second conversation, and sends garbage, on the ids topic.
            let kcat = try await Self.kcat(
                ["-b", harness.cluster.bootstrapServers, "-P", "-t", "zild-ids"], input: "not an id\n{\"id\": \(fromTopic)}\n")
            #expect(kcat == 0)
            try await events.waitUntil("the id from the topic discovered", has(keyB, "conversation.discovered"))

            try harness.world.assign("z-a", operator: "Diego Rocha", team: "Financeiro")
            try await events.waitUntil("live agent", has(keyA, "conversation.assignment_changed"))
            try harness.world.close("z-a", reason: "closed_by_operator")
            try await events.waitUntil("ended", has(keyA, "conversation.closed"))
            try harness.world.setEndedReason("z-a", "closed_by_user")
            try await events.waitUntil("end reason changed", has(keyA, "conversation.ended_reason_changed", 2))
            try harness.world.reopen("z-a")
            try await events.waitUntil("reopened", has(keyA, "conversation.reopened"))
            try harness.world.delete("z-a")
            try await events.waitUntil("vanished", has(keyA, "conversation.vanished"))

            let port = try #require(await bridge.serverPort())
            let url = "http://127.0.0.1:\(port)/webhooks/zild-test"
            let body = #"{"event": "Conversation Ended", "conversationId": \#(fromTopic)}"#
            #expect(try await Self.post(url, body, headers: [("X-Zild-Secret", "wrong")]) == 401)
            #expect(try await Self.post(url, body, headers: []) == 401)
            try harness.world.close("z-b", reason: "closed_by_user")
            #expect(try await Self.post(url, body, headers: [("X-Zild-Secret", "zild-webhook-secret")]) == 202)
            try await events.waitUntil(
                "the forwarded webhook and the close",
                { has(keyB, "zild.conversation_ended")($0) && has(keyB, "conversation.closed")($0) })
        }
        #expect(
            events.types(of: String(fromConfig), source: "zild-test") == [
                "conversation.discovered",
                "conversation.state_changed", "conversation.assignment_changed", "conversation.updated",
                "conversation.closed", "conversation.ended_reason_changed", "conversation.updated",
                "conversation.ended_reason_changed",
                "conversation.reopened", "conversation.ended_reason_changed", "conversation.updated",
                "conversation.vanished",
            ])
        BridgeEndToEndTests.checkContract(events.records, key: keyA)
        BridgeEndToEndTests.checkContract(events.records, key: keyB)
        let reason = try events.events(of: String(fromConfig), source: "zild-test")
            .first { $0.header("ce_type") == "conversation.ended_reason_changed" }.map { try JSONParser.parse($0.value ?? []) }
        #expect(reason?["after"]?["ended_reason"] == .string("closed_by_operator"), "the configured label, not the id")
        // The close in the platform and its webhook race: the webhook's poll or the next 300 ms poll may see the
        // close first, so after the discovery the two come in either order, each once.
        let fromTopicTypes = events.types(of: String(fromTopic), source: "zild-test")
        #expect(fromTopicTypes.first == "conversation.discovered")
        #expect(fromTopicTypes.filter { $0 == "zild.conversation_ended" }.count == 1)
        #expect(fromTopicTypes.filter { $0 == "conversation.closed" }.count == 1)
    }

    /// Runs kcat with `input` on standard input; its exit status.
    static func kcat(_ arguments: [String], input: String) async throws -> Int32 {
        try await ChildProcess.run(program: "kcat", arguments, input: input).status
    }
}
