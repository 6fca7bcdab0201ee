import AsyncHTTPClient
import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeSimulator
import ConvoBridgeStore
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite("Admin API over HTTP", .serialized)
struct AdminAPITests {
    static let token = "admin-token-0123456789abcdef0123456789"

    static func call(
        _ method: HTTPMethod, _ url: String, token: String? = Self.token, body: String? = nil
    ) async throws -> (status: Int, body: JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONParser.parse(Array(buffer: bytes))) ?? .null)
    }

    /// Two sources on the same simulator, so pausing one can be told apart from the other.
    static func configuration(_ harness: BridgeHarness) -> BridgeConfiguration {
        var configuration = harness.configuration()
        configuration.server?.adminToken = token
        var first = configuration.sources[0]
        first.discovery = nil
        var second = first
        first.name = "jelou-a"
        second.name = "jelou-b"
        first.webhook?.path = "/webhooks/jelou-a"
        second.webhook?.path = "/webhooks/jelou-b"
        configuration.sources = [first, second]
        return configuration
    }

    @Test("No or wrong token: 401, and nothing is done")
    func unauthorized() async throws {
        let harness = try await BridgeHarness()
        try await harness.withBridge(Self.configuration(harness)) { bridge in
            let base = "http://127.0.0.1:\(try #require(await bridge.serverPort()))/admin"
            #expect(try await Self.call(.GET, base + "/sources", token: nil).status == 401)
            #expect(try await Self.call(.GET, base + "/sources", token: "wrong").status == 401)
            #expect(
                try await Self.call(
                    .POST, base + "/sources/jelou-a/conversations", token: "admin-token-0123456789abcdef012345678", body: #"{"id":"x"}"#
                ).status == 401)
            #expect(try await bridge.store.watchList(source: "jelou-a").isEmpty, "the refused request added nothing")
            #expect(try await Self.call(.GET, base + "/sources").status == 200)
            #expect(try await Self.call(.GET, base + "/sources/nope/conversations").status == 404)
        }
    }

    @Test("Quarantine: listed, retried into its old place, dropped; the records behind it follow")
    func quarantine() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        try await harness.withBridge(Self.configuration(harness)) { bridge in
            let base = "http://127.0.0.1:\(try #require(await bridge.serverPort()))/admin"
            let records = [OutboxQuarantineTests.record("jelou-a/q", 1, bytes: 1_200_000), OutboxQuarantineTests.record("jelou-a/q", 2)]
            try await OutboxQuarantineTests.append(records, to: bridge.store, conversation: "q")
            let deadline = ContinuousClock.now + .seconds(10)
            while try await bridge.store.quarantineCount() < 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }

            let listed = try await Self.call(.GET, base + "/quarantine")
            #expect(listed.status == 200)
            let entry = try #require(listed.body.arrayValue?.first)
            #expect(entry["key"] == .string("jelou-a/q") && (entry["size_bytes"]?.int64Value ?? 0) > 1_200_000)
            #expect(entry["reason"]?.stringValue?.contains("refused it for good") == true)
            let id = try #require(entry["id"]?.int64Value)
            #expect(try await Self.call(.GET, base + "/outbox").body["quarantined"] == .integer(1))

            #expect(try await Self.call(.POST, base + "/quarantine/retry", body: #"{"ids":"all"}"#).status == 400)
            #expect(try await Self.call(.POST, base + "/quarantine/drop", token: "wrong", body: #"{"all":true}"#).status == 401)
            // Retried, it is refused again (still too large) and comes back to the quarantine.
            #expect(try await Self.call(.POST, base + "/quarantine/retry", body: #"{"ids":[\#(id)]}"#).body["records"] == .integer(1))
            while try await bridge.store.quarantineCount() < 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(try await bridge.store.quarantinedRecords().map(\.id) == [id], "back in its place, refused again")

            #expect(try await Self.call(.POST, base + "/quarantine/drop", body: #"{"ids":[\#(id)]}"#).body["records"] == .integer(1))
            try await events.waitUntil("the record that waited behind it") { $0.contains { $0.header("ce_id") == "jelou-a/q/2" } }
            #expect(try await Self.call(.GET, base + "/quarantine").body == .array([]))
        }
    }

    @Test("A watch added through the API is polled; re-poll works; pause stops that source only")
    func watchPollPause() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        try harness.world.create(id: "w-1")
        try await harness.withBridge(Self.configuration(harness)) { bridge in
            let base = "http://127.0.0.1:\(try #require(await bridge.serverPort()))/admin"
            for source in ["jelou-a", "jelou-b"] {
                let added = try await Self.call(.POST, base + "/sources/\(source)/conversations", body: #"{"id":"w-1"}"#)
                #expect(added.status == 200)
            }
            try await events.waitUntil("both sources discover w-1") { records in
                ["jelou-a", "jelou-b"].allSatisfy { source in records.contains { $0.keyString == "\(source)/w-1" } }
            }
            let list = try await Self.call(.GET, base + "/sources/jelou-a/conversations")
            #expect(list.body.arrayValue?.first?["conversation_id"] == .string("w-1"))
            #expect(list.body.arrayValue?.first?["status"] == .string("open"))

            let paused = try await Self.call(.POST, base + "/sources/jelou-a/pause")
            #expect(paused.body["paused"] == .bool(true))
            // Let any poll of jelou-a already under way finish, then close the conversation.
            try await Task.sleep(for: .milliseconds(500))
            try harness.world.close("w-1")
            try await events.waitUntil("jelou-b sees the close") {
                $0.contains { $0.keyString == "jelou-b/w-1" && $0.header("ce_type") == "conversation.closed" }
            }
            let repoll = try await Self.call(.POST, base + "/sources/jelou-b/conversations/w-1/poll")
            #expect(repoll.status == 200)
            try await Task.sleep(for: .seconds(1))
            #expect(
                !events.records.contains { $0.keyString == "jelou-a/w-1" && $0.header("ce_type") == "conversation.closed" },
                "the paused source did not poll")
            let sources = try await Self.call(.GET, base + "/sources")
            #expect(sources.body["jelou-a"]?["paused"] == .bool(true) && sources.body["jelou-b"]?["paused"] == .bool(false))

            _ = try await Self.call(.POST, base + "/sources/jelou-a/resume")
            try await events.waitUntil("jelou-a catches up after resume") {
                $0.contains { $0.keyString == "jelou-a/w-1" && $0.header("ce_type") == "conversation.closed" }
            }
            let all = try await Self.call(.POST, base + "/sources/jelou-a/poll")
            #expect(all.body["conversations"] == .integer(1))
            let removed = try await Self.call(.DELETE, base + "/sources/jelou-a/conversations/w-1")
            #expect(removed.status == 200)
            #expect(try await bridge.store.watchList(source: "jelou-a").first?.nextPollAt == nil, "no longer polled")
            // An id the store does not know: 404, and no row is made for it.
            let unknown = try await Self.call(.DELETE, base + "/sources/jelou-a/conversations/never-seen")
            #expect(unknown.status == 404)
            #expect(try await bridge.store.watchList(source: "jelou-a").map(\.conversationID) == ["w-1"])
            // Path ids are percent-decoded, as the CLI encodes them.
            let encoded = try await Self.call(.POST, base + "/sources/jelou-a/conversations/a%3Ab.c/poll")
            #expect(encoded.status == 200 && encoded.body["conversation_id"] == .string("a:b.c"), "\(encoded.body)")
            // An id no Jelou conversation can have is refused before anything is stored.
            let invalid = try await Self.call(.POST, base + "/sources/jelou-a/conversations/a%20b%2Fc/poll")
            #expect(invalid.status == 400 && invalid.body["error"]?.stringValue?.contains("Jelou conversation ids") == true, "\(invalid.body)")
            #expect(try await bridge.store.conversation(source: "jelou-a", conversationID: "a b/c") == nil)
            let outbox = try await Self.call(.GET, base + "/outbox")
            #expect(outbox.body["depth"]?.int64Value != nil)
        }
    }
}
