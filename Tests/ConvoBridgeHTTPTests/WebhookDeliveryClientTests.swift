import ConvoBridgeCore
import ConvoBridgeHTTP
import Testing

@Suite("Webhook delivery client: what each answer means, no redirects, no private addresses unless allowed")
struct WebhookDeliveryClientTests {
    static let now = Timestamp(iso8601: "2026-01-15T10:00:00Z")!

    /// One POST to a server that answers `reply`, through a client of its own. The timeout is generous: the whole
    /// test run shares two cores, and only the stall test is about the deadline.
    static func post(
        _ reply: ScriptedHTTPServer.Reply, allowPrivateNetwork: Bool = true, host: String = "127.0.0.1", timeout: Duration = .seconds(10)
    ) async throws
        -> (result: DeliveryAttemptResult, requests: Int)
    {
        let server = try await ScriptedHTTPServer { _ in reply }
        let client = try WebhookDeliveryClient(url: "http://\(host):\(server.port)/hook", allowPrivateNetwork: allowPrivateNetwork, maxConnections: 2)
        let result = try await client.post(
            headers: [("content-type", "application/cloudevents+json")], body: Array("{}".utf8), timeout: timeout, now: Self.now)
        await client.shutdown()
        let requests = server.requests
        try await server.stop()
        return (result, requests)
    }

    static func answer(_ status: String, _ headers: String = "") -> ScriptedHTTPServer.Reply {
        .bytesThenClose("HTTP/1.1 \(status)\r\nContent-Length: 0\r\n\(headers)\r\n")
    }

    @Test("2xx is delivered; 410 is gone; another status is rejected with its Retry-After, in seconds or as a date")
    func statuses() async throws {
        #expect(try await Self.post(Self.answer("204 No Content")).result == .delivered(status: 204))
        #expect(try await Self.post(Self.answer("410 Gone")).result == .gone)
        #expect(
            try await Self.post(Self.answer("429 Too Many Requests", "Retry-After: 7\r\n")).result == .rejected(status: 429, retryAfter: .seconds(7)))
        #expect(
            try await Self.post(Self.answer("503 Service Unavailable", "Retry-After: Thu, 15 Jan 2026 10:01:00 GMT\r\n")).result
                == .rejected(status: 503, retryAfter: .seconds(60)))
        #expect(
            try await Self.post(Self.answer("500 Internal Server Error", "Retry-After: soon\r\n")).result == .rejected(status: 500, retryAfter: nil))
    }

    @Test("A redirect is not followed: it is a failed attempt, and only one request is made")
    func noRedirects() async throws {
        let (result, requests) = try await Self.post(Self.answer("302 Found", "Location: http://169.254.169.254/latest/meta-data\r\n"))
        #expect(result == .rejected(status: 302, retryAfter: nil))
        #expect(requests == 1)
    }

    @Test("No answer in time is a timeout; no server at all is a failure with the reason")
    func timeoutsAndFailures() async throws {
        #expect(try await Self.post(.bytesThenStall("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"), timeout: .seconds(1)).result == .timedOut)
        let client = try WebhookDeliveryClient(url: "http://127.0.0.1:1/hook", allowPrivateNetwork: true, maxConnections: 1)
        guard case .failed(let reason) = try await client.post(headers: [], body: [], timeout: .seconds(10), now: Self.now) else {
            Issue.record("expected a failure")
            return
        }
        #expect(reason.contains("connect"))
        await client.shutdown()
    }

    @Test("Loopback by address or by name is refused before connecting unless allow_private_network")
    func privateAddresses() async throws {
        for host in ["127.0.0.1", "localhost"] {
            let (result, requests) = try await Self.post(Self.answer("200 OK"), allowPrivateNetwork: false, host: host)
            guard case .failed(let reason) = result else {
                Issue.record("\(host): expected a refusal, got \(result)")
                continue
            }
            #expect(reason.contains("allow_private_network: true"), "\(reason)")
            #expect(requests == 0, "\(host): nothing is sent")
        }
        #expect(throws: WebhookDeliveryClient.InvalidURL.self) {
            try WebhookDeliveryClient(url: "ftp://example.com/x", allowPrivateNetwork: false, maxConnections: 1)
        }
    }
}
