import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A raw TCP server on loopback that answers each request (by its path, or as the n-th of the run) as its script says,
/// byte for byte: well-formed answers, and the misbehaviour real servers and gateways show (closing an idle
/// keep-alive connection, stopping in the middle of a body, stalling after the headers).
final class ScriptedHTTPServer: Sendable {
    /// A request as the script sees it.
    struct Request: Sendable {
        /// Its number among all the server received, from 0.
        var index: Int
        /// The request line's target (`/a?b=c`).
        var path: String
    }

    enum Reply: Sendable {
        /// These bytes, the connection kept open.
        case bytes(String)
        /// These bytes, then the connection closed.
        case bytesThenClose(String)
        /// These bytes, then nothing more until the client gives up.
        case bytesThenStall(String)
        /// These bytes after `delay`, the connection kept open.
        case bytesAfter(String, delay: Duration)
    }

    private final class Counts: Sendable {
        let state = Mutex((requests: 0, connections: 0))

        /// The next request's number (from 0 for the whole run).
        func nextRequest() -> Int {
            state.withLock { state in
                defer { state.requests += 1 }
                return state.requests
            }
        }
    }

    let port: Int
    private let channel: any Channel
    private let counts = Counts()

    var requests: Int { counts.state.withLock { $0.requests } }
    var connections: Int { counts.state.withLock { $0.connections } }

    /// A 200 with `body` and a correct Content-Length.
    static func ok(_ body: String, extraHeaders: String = "") -> String {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(extraHeaders)\r\n\(body)"
    }

    /// - Parameter tls: serve TLS with this certificate and key (PEM files), as `https://localhost:PORT`.
    init(tls: (certificate: String, key: String)? = nil, script: @escaping @Sendable (Request) -> Reply) async throws {
        let counts = self.counts
        let sslContext = try tls.map { tls in
            try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
                    privateKey: .privateKey(NIOSSLPrivateKey(file: tls.key, format: .pem))))
        }
        scheme = tls == nil ? "http://127.0.0.1" : "https://localhost"
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                counts.state.withLock { $0.connections += 1 }
                return child.eventLoop.makeCompletedFuture {
                    if let sslContext { try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    try child.pipeline.syncOperations.addHandler(ScriptedConnectionHandler(counts: counts.nextRequest, script: script))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    private let scheme: String

    var baseURL: String { "\(scheme):\(port)" }

    func stop() async throws {
        try await channel.close().get()
    }
}

/// Reads requests without bodies (up to the blank line) and plays the script's reply for each.
private final class ScriptedConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let nextRequest: @Sendable () -> Int
    private let script: @Sendable (ScriptedHTTPServer.Request) -> ScriptedHTTPServer.Reply
    private var pending = ""
    private var closing = false

    init(counts nextRequest: @escaping @Sendable () -> Int, script: @escaping @Sendable (ScriptedHTTPServer.Request) -> ScriptedHTTPServer.Reply) {
        self.nextRequest = nextRequest
        self.script = script
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readString(length: buffer.readableBytes) ?? ""
        while !closing, let end = pending.range(of: "\r\n\r\n") {
            let path = pending[..<end.lowerBound].split(separator: " ", maxSplits: 2).dropFirst().first.map(String.init) ?? ""
            pending.removeSubrange(..<end.upperBound)
            switch script(ScriptedHTTPServer.Request(index: nextRequest(), path: path)) {
            case .bytes(let text):
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
            case .bytesThenClose(let text):
                closing = true
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            case .bytesThenStall(let text):
                closing = true
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
            case .bytesAfter(let text, let delay):
                context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
                    context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
                }
            }
        }
    }
}
