import AsyncHTTPClient
import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import ConvoBridgeStore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

@Suite("The HTTP listeners against slow, idle, many and unauthorised clients", .serialized)
struct ServerHardeningTests {
    static let token = String(repeating: "t", count: 40)

    /// A TCP connection that sends what the test says, and nothing else.
    struct RawConnection {
        let channel: any Channel

        static func open(port: Int) async throws -> RawConnection {
            RawConnection(
                channel: try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: port).get())
        }

        func send(_ text: String) async throws { try await channel.writeAndFlush(ByteBuffer(string: text)).get() }

        /// How long until the server closed it.
        func closedAfter(since start: ContinuousClock.Instant) async throws -> Duration {
            try await channel.closeFuture.get()
            return .now - start
        }

        func close() async { try? await channel.close().get() }
    }

    static func configuration(_ harness: BridgeHarness, adminOwnListener: Bool = false) -> BridgeConfiguration {
        var configuration = harness.configuration()
        configuration.sources[0].discovery = nil
        configuration.server?.adminToken = token
        // Long enough that a loaded test machine sends the first bytes of each connection well within them.
        configuration.server?.limits.headerTimeout = .seconds(2)
        configuration.server?.limits.bodyTimeout = .seconds(3)
        configuration.server?.limits.idleTimeout = .seconds(5)
        if adminOwnListener { configuration.server?.admin = .init(host: "127.0.0.1", port: 0) }
        return configuration
    }

    @Test(
        "A client that sends half a request head, or half a body, is cut off at its deadline; an idle one at the idle timeout",
        .timeLimit(.minutes(1)))
    func slowClients() async throws {
        let harness = try await BridgeHarness()
        try await harness.withBridge(Self.configuration(harness)) { bridge in
            let port = try #require(await bridge.serverPort())
            let start = ContinuousClock.now
            let halfHead = try await RawConnection.open(port: port)
            try await halfHead.send("POST /webhooks/jelou-demo HTTP/1.1\r\nHost: x\r\nContent-Le")
            let halfBody = try await RawConnection.open(port: port)
            try await halfBody.send("POST /webhooks/jelou-demo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":")
            let idle = try await RawConnection.open(port: port)
            // A slowloris: a byte every 200 ms keeps the connection active, never finishing the head.
            let dripping = try await RawConnection.open(port: port)
            let drip = Task {
                for byte in "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
                    try await dripping.send(String(byte))
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            let head = try await halfHead.closedAfter(since: start)
            let body = try await halfBody.closedAfter(since: start)
            let slow = try await dripping.closedAfter(since: start)
            let idleFor = try await idle.closedAfter(since: start)
            drip.cancel()
            #expect(head >= .milliseconds(1900) && head < .seconds(6), "half a head: closed after \(head)")
            #expect(body >= .milliseconds(2900) && body < .seconds(7), "half a body: closed after \(body)")
            #expect(slow < .seconds(6), "a byte every 200 ms (9 s to send it all): closed after \(slow)")
            #expect(idleFor < .seconds(6), "idle: closed after \(idleFor)")
            // The listener still answers everyone else.
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(5))
            #expect(response.status.code == 200)
            let metricsText = String(decoding: bridge.metrics.render(), as: UTF8.self)
            #expect(
                metricsText.contains(#"convobridge_http_slow_clients_closed_total{listener="admin,metrics,webhooks",phase="header"} 3"#)
                    || metricsText.contains(#"phase="header"} 3"#), "\(metricsText.split(separator: "\n").filter { $0.contains("slow") })")
        }
    }

    @Test("Beyond max_connections new connections wait; they are served once one closes", .timeLimit(.minutes(1)))
    func connectionCap() async throws {
        let harness = try await BridgeHarness()
        var configuration = Self.configuration(harness)
        configuration.server?.limits.maxConnections = 3
        configuration.server?.limits.idleTimeout = .seconds(30)
        configuration.server?.limits.headerTimeout = .seconds(30)
        try await harness.withBridge(configuration) { bridge in
            let port = try #require(await bridge.serverPort())
            var held: [RawConnection] = []
            for _ in 0..<3 { held.append(try await RawConnection.open(port: port)) }
            // Each is accepted before the next is opened.
            try await Task.sleep(for: .milliseconds(300))
            let answered = Mutex(false)
            let waiting = Task {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(20))
                answered.withLock { $0 = true }
                return response.status.code
            }
            try await Task.sleep(for: .seconds(1))
            #expect(!answered.withLock { $0 }, "a fourth connection was served while three were open")
            for connection in held { await connection.close() }
            #expect(try await waiting.value == 200)
        }
    }

    @Test("Admin API and metrics on a listener of their own: the webhook listener does not serve them")
    func separateListeners() async throws {
        let harness = try await BridgeHarness()
        try await harness.withBridge(Self.configuration(harness, adminOwnListener: true)) { bridge in
            let webhooks = try #require(await bridge.serverPort())
            let admin = try #require(await bridge.adminPort())
            let metrics = await bridge.metricsPort()
            #expect(webhooks != admin && metrics == admin)
            #expect(try await AdminAPITests.call(.GET, "http://127.0.0.1:\(webhooks)/admin/sources", token: Self.token).status == 404)
            #expect(try await ObservabilityTests.get("http://127.0.0.1:\(webhooks)/metrics").status == 404)
            #expect(try await ObservabilityTests.get("http://127.0.0.1:\(webhooks)/healthz").status == 200)
            #expect(try await AdminAPITests.call(.GET, "http://127.0.0.1:\(admin)/admin/sources", token: Self.token).status == 200)
            #expect(try await ObservabilityTests.get("http://127.0.0.1:\(admin)/metrics").status == 200)
        }
    }

    @Test("A wrong admin token is counted and answered late; the body is not acted on before the token is checked")
    func refusedTokens() async throws {
        let harness = try await BridgeHarness()
        try await harness.withBridge(Self.configuration(harness)) { bridge in
            let base = "http://127.0.0.1:\(try #require(await bridge.serverPort()))/admin"
            let started = ContinuousClock.now
            let refused = try await AdminAPITests.call(
                .POST, base + "/sources/jelou-demo/conversations", token: "guess-\(Self.token)",
                body: #"{"id":"x"}"#)
            #expect(refused.status == 401)
            #expect(ContinuousClock.now - started >= .milliseconds(900), "a refused token is answered after a delay")
            #expect(try await bridge.store.watchList(source: "jelou-demo").isEmpty)
            let text = String(decoding: bridge.metrics.render(), as: UTF8.self)
            #expect(ObservabilityTests.sample(text, "convobridge_admin_auth_failures_total") == 1)
        }
    }

    @Test("/readyz answers from memory: a hundred probes with Kafka down take no probe's timeout each", .timeLimit(.minutes(1)))
    func cachedReadiness() async throws {
        let harness = try await BridgeHarness()
        try await harness.withBridge(Self.configuration(harness)) { bridge in
            let url = "http://127.0.0.1:\(try #require(await bridge.serverPort()))/readyz"
            try harness.cluster.setBrokerDown(1)
            let started = ContinuousClock.now
            var statuses: [Int] = []
            for _ in 0..<100 { statuses.append(try await ObservabilityTests.get(url).status) }
            let elapsed = ContinuousClock.now - started
            try harness.cluster.setBrokerUp(1)
            #expect(elapsed < .seconds(10), "100 probes took \(elapsed) (a metadata probe per request waits up to 2 s)")
            #expect(statuses.count == 100)
        }
    }
}
