import ConvoBridgeCore
import ConvoBridgeTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import ConvoBridgeHTTP

/// The polls' HTTP/1.1 connection pool, through ``SourceHTTPClient``, against a server that misbehaves on cue.
@Suite("Pooled HTTP/1.1 connections against a scripted server")
struct HTTP1ConnectionPoolTests {
    static let answer = #"{"ok":true}"#

    /// The deadline is long by default: the whole suite's load can keep a task from its thread for seconds, and a
    /// deadline counts that time too.
    private func client(_ http: SharedHTTPClient, timeout: Duration = .seconds(30), maxResponseBytes: Int = 1024) -> SourceHTTPClient {
        SourceHTTPClient(
            sourceName: "scripted", http: http,
            policy: SourceHTTPPolicy(
                requestsPerSecond: 100_000, burst: 100_000, maxConcurrentRequests: 64,
                requestTimeout: timeout, maxResponseBytes: maxResponseBytes),
            time: .system, redactor: SecretRedactor(secrets: []), logger: CapturedLogs().logger)
    }

    private func get(_ client: SourceHTTPClient, _ url: String) async throws -> SourceResponse {
        try await client.send(SourceRequest(operation: "get-conversation", method: .get, url: url))
    }

    private func transportError(_ body: () async throws -> SourceResponse) async -> String? {
        do {
            _ = try await body()
            return nil
        } catch SourceError.transport(let detail) {
            return detail
        } catch {
            return "unexpected: \(error)"
        }
    }

    @Test("Keep-alive: sequential requests share one connection; concurrent ones open no more than run at once")
    func keepAlive() async throws {
        let server = try await ScriptedHTTPServer { _ in .bytes(ScriptedHTTPServer.ok(Self.answer)) }
        let http = SharedHTTPClient(maxConnectionsPerHost: 64)
        let client = client(http)
        for index in 0..<20 {
            let response = try await get(client, server.baseURL + "/conversations/c-\(index)?x=1#fragment")
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == Self.answer)
            #expect(response.headers["content-type"] == "application/json")
        }
        #expect(server.connections == 1)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<200 { group.addTask { try await get(client, server.baseURL + "/c/\(index)").status } }
            for try await status in group { #expect(status == 200) }
        }
        #expect(server.requests == 220)
        #expect(server.connections <= 64)
        try await http.shutdown()
        try await server.stop()
    }

    @Test("A pooled connection the server closed before answering is retried once on a new connection; a new one is not")
    func staleConnectionRetried() async throws {
        // Request 1 finds its keep-alive connection closed without an answer (as a server that let it idle out).
        let server = try await ScriptedHTTPServer { request in
            request.index == 1 ? .bytesThenClose("") : .bytes(ScriptedHTTPServer.ok(Self.answer))
        }
        let http = SharedHTTPClient()
        let client = client(http)
        #expect(try await get(client, server.baseURL + "/a").status == 200)
        #expect(try await get(client, server.baseURL + "/b").status == 200)
        #expect(server.requests == 3)
        #expect(server.connections == 2)
        try await http.shutdown()
        try await server.stop()

        // On a connection of its own, the same close is an error: there is nothing stale to blame.
        let refusing = try await ScriptedHTTPServer { _ in .bytesThenClose("") }
        let fresh = SharedHTTPClient()
        let detail = await transportError { try await get(self.client(fresh), refusing.baseURL + "/a") }
        #expect(detail == "connection closed before any answer")
        #expect(refusing.requests == 1)
        try await fresh.shutdown()
        try await refusing.stop()
    }

    @Test("An answer cut in the middle of its body is an error, and the next request gets a new connection")
    func cutBody() async throws {
        let server = try await ScriptedHTTPServer { request in
            request.path == "/a"
                ? .bytesThenClose("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"data\":{\"_id\":")
                : .bytes(ScriptedHTTPServer.ok(Self.answer))
        }
        let http = SharedHTTPClient()
        let client = client(http)
        let detail = await transportError { try await get(client, server.baseURL + "/a") }
        #expect(detail == "connection closed in the middle of the answer")
        #expect(try await get(client, server.baseURL + "/b").status == 200)
        #expect(server.connections == 2)
        try await http.shutdown()
        try await server.stop()
    }

    @Test("Connection: close is honoured: that connection is not reused")
    func connectionClose() async throws {
        let server = try await ScriptedHTTPServer { _ in .bytes(ScriptedHTTPServer.ok(Self.answer, extraHeaders: "Connection: close\r\n")) }
        let http = SharedHTTPClient()
        let client = client(http)
        for path in ["/a", "/b", "/c"] { #expect(try await get(client, server.baseURL + path).status == 200) }
        #expect(server.connections == 3)
        try await http.shutdown()
        try await server.stop()
    }

    @Test("A body that stalls after the headers fails at the request's deadline, and the connection is not reused")
    func stalledBody() async throws {
        let server = try await ScriptedHTTPServer { request in
            request.path == "/a" ? .bytesThenStall("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"da") : .bytes(ScriptedHTTPServer.ok(Self.answer))
        }
        let http = SharedHTTPClient()
        let started = ContinuousClock.now
        await #expect(throws: SourceError.timeout(.seconds(2))) { try await get(client(http, timeout: .seconds(2)), server.baseURL + "/a") }
        // Well short of the stall (endless), with room for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(try await get(client(http), server.baseURL + "/b").status == 200)
        #expect(server.connections == 2)
        try await http.shutdown()
        try await server.stop()
    }

    @Test(
        "Bodies over the cap are refused, by Content-Length or in chunks",
        arguments: [
            "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + String(repeating: "x", count: 2000),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(repeating: "200\r\n" + String(repeating: "y", count: 512) + "\r\n", count: 4) + "0\r\n\r\n",
        ])
    func tooLarge(reply: String) async throws {
        let server = try await ScriptedHTTPServer { _ in .bytes(reply) }
        let http = SharedHTTPClient()
        await #expect(throws: SourceError.responseTooLarge(limit: 1024)) { try await get(client(http), server.baseURL + "/a") }
        try await http.shutdown()
        try await server.stop()
    }

    @Test("A chunked answer within the cap is collected whole")
    func chunked() async throws {
        let server = try await ScriptedHTTPServer { _ in
            .bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"ok\"\r\n6\r\n:true}\r\n0\r\n\r\n")
        }
        let http = SharedHTTPClient()
        let response = try await get(client(http), server.baseURL + "/a")
        #expect(String(decoding: response.body, as: UTF8.self) == Self.answer)
        try await http.shutdown()
        try await server.stop()
    }

    @Test("Garbage instead of HTTP is a transport error, not a trap")
    func garbage() async throws {
        let server = try await ScriptedHTTPServer { _ in .bytesThenStall("<html><body>502 Bad Gateway</body></html>\r\n\r\n") }
        let http = SharedHTTPClient()
        let detail = await transportError { try await get(client(http), server.baseURL + "/a") }
        #expect(detail?.hasPrefix("not a valid HTTP answer") == true)
        try await http.shutdown()
        try await server.stop()
    }

    @Test("A cancelled request ends at once")
    func cancelled() async throws {
        let server = try await ScriptedHTTPServer { _ in .bytesThenStall("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n") }
        let http = SharedHTTPClient()
        let client = client(http, timeout: .seconds(30))
        let task = Task { try await get(client, server.baseURL + "/a") }
        while server.requests == 0 { await Task.yield() }
        let started = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - started < .seconds(5))
        try await http.shutdown()
        try await server.stop()
    }

    @Test(
        "URLs the pool cannot send are refused with the reason, and nothing is sent",
        arguments: [
            ("ftp://127.0.0.1/a", "invalid URL: scheme ftp is neither http nor https"),
            ("127.0.0.1/a", "invalid URL: no scheme"),
            ("http:///a", "invalid URL: no host"),
            ("http://user:pw@127.0.0.1/a", "invalid URL: credentials in the URL are not supported"),
            ("http://127.0.0.1:99999/a", "invalid URL: port is not a number from 1 to 65535"),
            ("http://[::1/a", "invalid URL: unterminated IPv6 address"),
        ])
    func invalidURL(url: String, reason: String) async throws {
        let http = SharedHTTPClient()
        let detail = await transportError { try await get(client(http), url) }
        #expect(detail == reason)
        try await http.shutdown()
    }

    @Test("Nothing listening: a transport error that says it could not connect")
    func refused() async throws {
        let server = try await ScriptedHTTPServer { _ in .bytes("") }
        let url = server.baseURL + "/a"
        try await server.stop()
        let http = SharedHTTPClient()
        let detail = await transportError { try await get(client(http), url) }
        #expect(detail?.hasPrefix("cannot connect") == true)
        try await http.shutdown()
    }

    @Test("https: TLS is spoken, and a certificate this machine does not trust is refused with a clear error")
    func untrustedCertificate() async throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/tls")
        let server = try await ScriptedHTTPServer(
            tls: (
                fixtures.appendingPathComponent("localhost-cert.pem").path,
                fixtures.appendingPathComponent("localhost-key.pem").path
            )
        ) { _ in
            .bytes(ScriptedHTTPServer.ok(Self.answer))
        }
        let http = SharedHTTPClient()
        let detail = await transportError { try await get(client(http), server.baseURL + "/a") }
        #expect(detail == "TLS handshake failed: the platform's certificate is not trusted by this machine, or does not name the host")
        #expect(server.requests == 0)
        try await http.shutdown()
        try await server.stop()
    }
}

/// The pool's parts that the race between a connection closing and a request being written reaches, which a
/// server cannot stage on cue.
@Suite("The connection pool's exchange on a connection that closed")
struct HTTP1ConnectionPoolClosedConnectionTests {
    @Test("An exchange written to a connection that closed fails at once as never answered, instead of waiting for ever", .timeLimit(.minutes(1)))
    func writeToClosedConnection() async throws {
        let server = try await ScriptedHTTPServer { _ in .bytes(ScriptedHTTPServer.ok("{}")) }
        let pool = HTTP1ConnectionPool(maxIdlePerOrigin: 1, connectTimeout: .seconds(5))
        let origin = HTTPOrigin(scheme: .http, host: "127.0.0.1", port: server.port)
        let channel = try await pool.connect(to: origin, deadline: .now() + .seconds(30))
        try await channel.close().get()
        let started = ContinuousClock.now
        await #expect(throws: HTTP1TransportError.connectionClosed(answerStarted: false)) {
            try await pool.exchange(
                head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/a"), body: nil, on: channel,
                deadline: .now() + .seconds(60), maxBodyBytes: 1024)
        }
        #expect(ContinuousClock.now - started < .seconds(30))
        await pool.shutdown()
        try await server.stop()
    }

    @Test(
        "A connection idle for the idle timeout is closed and forgotten; one busy for longer is not; the next request opens a new one",
        .timeLimit(.minutes(1)))
    func idleConnectionsClose() async throws {
        // The first answer takes three idle timeouts: the connection is busy, not idle, all that time.
        let server = try await ScriptedHTTPServer { request in
            request.index == 0 ? .bytesAfter(ScriptedHTTPServer.ok("{}"), delay: .milliseconds(900)) : .bytes(ScriptedHTTPServer.ok("{}"))
        }
        let pool = HTTP1ConnectionPool(maxIdlePerOrigin: 4, idleTimeout: .milliseconds(300), connectTimeout: .seconds(5))
        let target = try RequestTarget(url: server.baseURL + "/a")
        func get() async throws -> Int {
            try await pool.execute(
                method: .GET, target: target, headers: HTTPHeaders(), body: nil, timeout: .seconds(30),
                maxBodyBytes: 1024
            ).status
        }
        #expect(try await get() == 200)
        #expect(server.connections == 1)
        // Then left alone: closed within a few timeouts (the check runs on the connection's event loop).
        let deadline = ContinuousClock.now + .seconds(20)
        while pool.idleConnections(to: target.origin) > 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(pool.idleConnections(to: target.origin) == 0)
        #expect(try await get() == 200)
        #expect(server.connections == 2)
        await pool.shutdown()
        try await server.stop()
    }

    @Test(
        "A new connection waits for its first exchange until the request's deadline, however short the idle timeout; then it closes",
        .timeLimit(.minutes(1)))
    func newConnectionWaitsForItsExchange() async throws {
        let server = try await ScriptedHTTPServer { _ in .bytes(ScriptedHTTPServer.ok("{}")) }
        let pool = HTTP1ConnectionPool(maxIdlePerOrigin: 4, idleTimeout: .milliseconds(100), connectTimeout: .seconds(5))
        let origin = HTTPOrigin(scheme: .http, host: "127.0.0.1", port: server.port)
        // The request that opened it reaches the connection late, as on a loaded machine: four idle timeouts later.
        let late = try await pool.connect(to: origin, deadline: .now() + .seconds(30))
        try await Task.sleep(for: .milliseconds(400))
        #expect(late.isActive)
        let answer = try await pool.exchange(
            head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/a"), body: nil, on: late, deadline: .now() + .seconds(30),
            maxBodyBytes: 1024)
        #expect(answer.status == 200)
        // Once it has carried its exchange it is idle like any other: closed after the idle timeout, not held until
        // the opening request's deadline (30 s).
        let answered = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await late.closeFuture.get() }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                throw HTTP1TransportError.deadlinePassed
            }
            try await group.next()
            group.cancelAll()
        }
        #expect(ContinuousClock.now - answered < .seconds(20))
        // A connection whose request never came (its caller gave up) is closed once that request's deadline passed.
        let abandoned = try await pool.connect(to: origin, deadline: .now() + .milliseconds(300))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await abandoned.closeFuture.get() }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                throw HTTP1TransportError.deadlinePassed
            }
            try await group.next()
            group.cancelAll()
        }
        #expect(!abandoned.isActive)
        late.close(promise: nil)
        await pool.shutdown()
        try await server.stop()
    }
}
