import AsyncHTTPClient
import ConvoBridgeCore
import ConvoBridgeServer
import ConvoBridgeSigning
import ConvoBridgeSimulator
import ConvoBridgeTestSupport
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@Suite("Jelou webhook receiver, over HTTP")
struct WebhookReceiverTests {
    static let secret = "whsec-0123456789abcdef"

    /// Records what it is given; can be told to fail.
    final class RecordingSink: NativeEventSink {
        let events = Mutex<[(String, NativeEvent)]>([])
        let failing = Mutex(false)

        let digests = Mutex<Set<[UInt8]>>([])

        func accept(_ event: NativeEvent, source: String, bodyDigest: [UInt8]) async throws -> WebhookAcceptance {
            if failing.withLock({ $0 }) { throw CancellationError() }
            guard digests.withLock({ $0.insert(bodyDigest).inserted }) else { return .duplicate }
            events.withLock { $0.append((source, event)) }
            return .recorded
        }

        var received: [NativeEvent] { events.withLock { $0.map(\.1) } }
    }

    /// Counts the receiver's answers by outcome, as the bridge's metrics do.
    final class RecordedOutcomes: WebhookObserver {
        private let counts = Mutex<[WebhookOutcome: Int]>([:])

        var current: [WebhookOutcome: Int] { counts.withLock { $0 } }

        func webhookAnswered(source: String, outcome: WebhookOutcome) {
            #expect(source == "jelou-test")
            counts.withLock { $0[outcome, default: 0] += 1 }
        }
    }

    static func withReceiver(now: Timestamp = Self.now, _ body: (String, RecordingSink, RecordedOutcomes) async throws -> Void) async throws {
        let sink = RecordingSink()
        let outcomes = RecordedOutcomes()
        let receiver = WebhookReceiver(
            endpoints: [
                WebhookEndpoint(
                    source: "jelou-test", verification: .hmacSHA256(header: "X-Jelou-Signature", WebhookSignature(secret: secret)), format: .jelou)
            ],
            sink: sink, maxBodyBytes: 2048, now: { now }, logger: Logger(label: "receiver") { _ in SwiftLogNoOpLogHandler() },
            observer: outcomes
        )
        let router = Router()
        receiver.addRoutes(to: router)
        let port = OnceValue<Int>()
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { port.set($0.localAddress?.port ?? 0) },
            logger: Logger(label: "server") { _ in SwiftLogNoOpLogHandler() })
        let server = Task { try await application.runService() }
        defer { server.cancel() }
        try await body("http://127.0.0.1:\(await port.value())/webhooks/jelou-test", sink, outcomes)
    }

    static func post(_ url: String, _ body: [UInt8], signature: String?) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        if let signature { request.headers.add(name: "X-Jelou-Signature", value: signature) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    /// The receiver's clock: a second after the sample events' `timestamp`.
    static let now = Timestamp(millisecondsSinceEpoch: 1_768_474_801_000)

    static let close = Array(
        #"{"event":"conversation.close","timestamp":1768474800000,"project_id":"p-1","conversation_id":"c-1","reason":"closed_by_operator"}"#.utf8)

    @Test("Signature verification: valid, wrong secret, modified body, missing or malformed header")
    func signatures() {
        let signature = WebhookSignature(secret: Self.secret)
        let header = signature.sign(Self.close)
        #expect(header.hasPrefix("sha256=") && header.count == 71)
        #expect(signature.verify(header: header, body: Self.close) == .valid)
        #expect(signature.verify(header: "sha256=" + header.dropFirst(7).uppercased(), body: Self.close) == .valid)
        #expect(WebhookSignature(secret: "other-secret").verify(header: header, body: Self.close) == .mismatch)
        var modified = Self.close
        modified[modified.count - 3] = UInt8(ascii: "X")
        #expect(signature.verify(header: header, body: modified) == .mismatch)
        #expect(signature.verify(header: nil, body: Self.close) == .missingHeader)
        #expect(signature.verify(header: "sha1=abc", body: Self.close) == .malformedHeader)
        #expect(signature.verify(header: "sha256=zz" + header.dropFirst(9), body: Self.close) == .malformedHeader)
        #expect(!"\(signature)".contains(Self.secret))
        // RFC 4231 test case 2: the HMAC itself.
        #expect(
            WebhookSignature(secret: "Jefe").sign(Array("what do ya want for nothing?".utf8))
                == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("Over HTTP: only a signed, well-formed, small enough event reaches the sink")
    func statuses() async throws {
        try await Self.withReceiver { url, sink, outcomes in
            let signature = WebhookSignature(secret: Self.secret)
            #expect(try await Self.post(url, Self.close, signature: signature.sign(Self.close)) == 202)
            #expect(try await Self.post(url, Self.close, signature: WebhookSignature(secret: "wrong").sign(Self.close)) == 401)
            var modified = Self.close
            modified[10] = UInt8(ascii: "X")
            #expect(try await Self.post(url, modified, signature: signature.sign(Self.close)) == 401)
            #expect(try await Self.post(url, Self.close, signature: nil) == 401)
            let notJSON = Array("event=conversation.close".utf8)
            #expect(try await Self.post(url, notJSON, signature: signature.sign(notJSON)) == 400)
            let noConversation = Array(#"{"event":"conversation.close"}"#.utf8)
            #expect(try await Self.post(url, noConversation, signature: signature.sign(noConversation)) == 400)
            let large =
                Array(#"{"event":"message","conversation":{"id":"c-1"},"pad":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 3000)
                + Array(#""}"#.utf8)
            #expect(try await Self.post(url, large, signature: signature.sign(large)) == 413)
            sink.failing.withLock { $0 = true }
            #expect(try await Self.post(url, Self.close, signature: signature.sign(Self.close)) == 503)

            #expect(sink.received.count == 1, "nothing but the valid event was recorded")
            let event = try #require(sink.received.first)
            #expect(event.name == "conversation.close" && event.conversationID == "c-1")
            #expect(event.payload == (try JSONParser.parse(Self.close)), "the payload is forwarded unchanged")
            #expect(outcomes.current == [.accepted: 1, .badSignature: 3, .malformed: 2, .tooLarge: 1, .unrecorded: 1])
        }
    }

    @Test("Replays: the same body again is answered 200 with nothing recorded; a payload time outside the window and a bad id are refused")
    func replays() async throws {
        try await Self.withReceiver { (url: String, sink: RecordingSink, outcomes: RecordedOutcomes) async throws in
            let signature = WebhookSignature(secret: Self.secret)
            #expect(try await Self.post(url, Self.close, signature: signature.sign(Self.close)) == 202)
            for _ in 0..<5 { #expect(try await Self.post(url, Self.close, signature: signature.sign(Self.close)) == 200) }
            #expect(sink.received.count == 1, "one event for six deliveries of one body")
            #expect(outcomes.current[.duplicate] == 5)

            func signed(_ json: String) -> (body: [UInt8], signature: String) {
                let body = Array(json.utf8)
                return (body, signature.sign(body))
            }
            // Signed, but sent ten minutes after its time (or dated ten minutes ahead): a replay, or a clock far off.
            let stale = signed(#"{"event":"conversation.close","timestamp":1768474200000,"conversation_id":"c-2"}"#)
            #expect(try await Self.post(url, stale.body, signature: stale.signature) == 400)
            let future = signed(#"{"event":"conversation.close","timestamp":1768475400000,"conversation_id":"c-2"}"#)
            #expect(try await Self.post(url, future.body, signature: future.signature) == 400)
            let absurd = signed(#"{"event":"conversation.close","timestamp":-9223372036854775808,"conversation_id":"c-2"}"#)
            #expect(try await Self.post(url, absurd.body, signature: absurd.signature) == 400)
            #expect(outcomes.current[.outsideReplayWindow] == 2)
            for id in [#"not-a-number/../x"#, "c 1", String(repeating: "a", count: 129), "..", "c-1\\n"] {
                let bad = signed(#"{"event":"message","conversation_id":"\#(id)"}"#)
                #expect(try await Self.post(url, bad.body, signature: bad.signature) == 400, "\(id)")
            }
            #expect(sink.received.count == 1, "nothing of these was recorded")
        }
    }

    @Test("Conversation ids per platform: Zild's positive integers, Jelou's and Chatvolt's plain tokens")
    func conversationIDs() {
        #expect(ConversationIDRule.problem("42", platform: .zild) == nil)
        #expect(ConversationIDRule.problem("not-a-number/../x", platform: .zild) != nil)
        #expect(ConversationIDRule.problem("0", platform: .zild) != nil && ConversationIDRule.problem("99999999999", platform: .zild) != nil)
        #expect(ConversationIDRule.problem("65a1f0c2e4b0a1b2c3d4e5f6", platform: .jelou) == nil)
        #expect(ConversationIDRule.problem("clx1y2z3a0000abcd1234", platform: .chatvolt) == nil)
        #expect(ConversationIDRule.problem("a/b", platform: .jelou)?.contains("a/b") == true)
        #expect(ConversationIDRule.problem("", platform: .chatvolt) != nil)
        #expect(ConversationIDRule.problem("x\u{0}y", platform: .jelou)?.contains("\\u0000") == true, "shown escaped")
    }

    @Test("The simulator's signed webhooks are accepted: message and conversation.close")
    func fromSimulator() async throws {
        try await Self.withReceiver(now: SimulatorHarness.fixedNow) { url, sink, _ in
            var configuration = SimulatorHarness.configuration
            configuration.signingSecret = Self.secret
            let world = SimulatorWorld(population: 2, seed: 1, now: { SimulatorHarness.fixedNow })
            let simulator = PlatformSimulator(
                configuration: configuration, world: world, logger: Logger(label: "sim") { _ in SwiftLogNoOpLogHandler() })
            let server = Task { try await simulator.run() }
            defer { server.cancel() }
            let control = await simulator.baseURL() + "/_sim/webhooks"
            for event in ["message", "conversation.close"] {
                let request = Array(#"{"event":"\#(event)","conversation_id":"conv-000001","url":"\#(url)"}"#.utf8)
                var outgoing = HTTPClientRequest(url: control)
                outgoing.method = .POST
                outgoing.body = .bytes(ByteBuffer(bytes: request))
                let response = try await HTTPClient.shared.execute(outgoing, timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 16)
                #expect(String(buffer: body) == #"{"status":202}"#)
            }
            #expect(sink.received.map(\.name) == ["message", "conversation.close"])
            #expect(sink.received.allSatisfy { $0.conversationID == "conv-000001" })
        }
    }

    @Test("Shared-secret header: exact value only, compared whole; never in the description")
    func sharedSecret() {
        let verification = WebhookVerification.sharedSecret(header: "X-Webhook-Secret", secret: "s3cret-value")
        #expect(verification.failure(header: "s3cret-value", body: []) == nil)
        #expect(verification.failure(header: "s3cret-valu", body: []) == "X-Webhook-Secret does not match the shared secret")
        #expect(verification.failure(header: "s3cret-value2", body: []) != nil)
        #expect(verification.failure(header: nil, body: []) == "X-Webhook-Secret header missing")
        #expect(!verification.description.contains("s3cret"))
    }

    @Test("Chatvolt and Zild payloads: event names normalized, conversation ids found where the platforms put them")
    func otherFormats() throws {
        let chatvolt = try WebhookEventFormat.chatvolt.nativeEvent(
            from: JSONParser.parse(
                #"{"eventType": "USER_MESSAGE_RECEIVED", "payload": {"conversationId": "clx1", "message": "hola"}}"#))
        #expect(chatvolt.platform == .chatvolt && chatvolt.name == "user_message_received" && chatvolt.conversationID == "clx1")
        let zild = try WebhookEventFormat.zild.nativeEvent(from: JSONParser.parse(#"{"event": "Conversation Ended", "data": {"id": 48213}}"#))
        #expect(zild.platform == .zild && zild.name == "conversation_ended" && zild.conversationID == "48213")
        let custom = try WebhookEventFormat.zild.withConversationIDPath("ticket.ref").nativeEvent(
            from: JSONParser.parse(
                #"{"event": "Evaluation Result", "conversationId": 1, "ticket": {"ref": 77}}"#))
        #expect(custom.conversationID == "77", "a configured path replaces the usual places")
        #expect(throws: PayloadError.self) { try WebhookEventFormat.zild.nativeEvent(from: JSONParser.parse(#"{"event": "Conversation Ended"}"#)) }
        #expect(throws: PayloadError.self) {
            try WebhookEventFormat.chatvolt.nativeEvent(from: JSONParser.parse(#"{"eventType": "BAD/NAME", "conversationId": "c"}"#))
        }
    }
}
