import ConvoBridgeCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// HTTP/1.1 keep-alive connections on SwiftNIO, pooled per origin, for the polls: thousands of small requests a
/// second to a few hosts. A request takes an idle connection of its origin or opens one; its answer is collected
/// whole, within one deadline that covers connect, TLS, headers and body; the connection goes back to the pool
/// when the answer allows it. No redirect is followed and no proxy is used.
///
/// Concurrency is bounded by the callers (each source's `max_concurrent`); the pool keeps at most
/// `maxIdlePerOrigin` idle connections of an origin and closes those idle for `idleTimeout`.
final class HTTP1ConnectionPool: Sendable {
    /// Which addresses a connection may go to.
    enum DestinationPolicy: Sendable, Hashable {
        case any
        /// Only public internet addresses (``DestinationAddress``): the host is resolved here and the connection made
        /// to the very address checked, so a name that resolves differently the second time cannot slip through.
        case publicOnly
    }

    private let group: any EventLoopGroup
    private let destinationPolicy: DestinationPolicy
    private let maxIdlePerOrigin: Int
    private let idleTimeout: TimeAmount
    private let connectTimeout: TimeAmount
    private let idle = Mutex<[HTTPOrigin: [any Channel]]>([:])
    private let exchanges = Atomic<UInt64>(0)
    private let tls = Mutex<Result<NIOSSLContext, HTTP1TransportError>?>(nil)

    init(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, maxIdlePerOrigin: Int,
        idleTimeout: Duration = .seconds(60), connectTimeout: Duration, destinationPolicy: DestinationPolicy = .any
    ) {
        self.group = group
        self.destinationPolicy = destinationPolicy
        self.maxIdlePerOrigin = maxIdlePerOrigin
        self.idleTimeout = TimeAmount(idleTimeout)
        self.connectTimeout = TimeAmount(connectTimeout)
    }

    /// Sends one request and returns its complete answer.
    ///
    /// A request that finds its pooled connection closed by the server before one byte of an answer (an idle
    /// keep-alive connection the server let go) is sent once more on a new connection, if it is a GET.
    ///
    /// - Throws: ``HTTP1TransportError``, or `CancellationError` when the task is cancelled.
    func execute(
        method: HTTPMethod, target: RequestTarget, headers: HTTPHeaders, body: ByteBuffer?,
        timeout: Duration, maxBodyBytes: Int
    ) async throws -> HTTP1Answer {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target.pathAndQuery, headers: headers)
        head.headers.replaceOrAdd(name: "Host", value: target.origin.hostHeader)
        if let body { head.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes)) }
        var mayRetry = method == .GET
        var reuse = true
        while true {
            let (channel, reused) = try await connection(to: target.origin, reuse: reuse, deadline: deadline)
            do {
                let answer = try await exchange(head: head, body: body, on: channel, deadline: deadline, maxBodyBytes: maxBodyBytes)
                if answer.keepAlive { release(channel, origin: target.origin) }
                return answer
            } catch HTTP1TransportError.connectionClosed(answerStarted: false) where reused && mayRetry {
                // A server that let one idle connection go often let them all go: the retry takes a new one.
                mayRetry = false
                reuse = false
            }
        }
    }

    /// Closes every idle connection (the bridge is stopping; connections in use close with their exchange).
    func shutdown() async {
        let channels = idle.withLock { idle in
            defer { idle.removeAll() }
            return idle.values.flatMap { $0 }
        }
        for channel in channels { try? await channel.close().get() }
    }

    /// Writes one exchange and waits for its answer. The handler completes the promise (and closes the connection
    /// on any failure); the write's failure, the deadline and cancellation complete it too (a promise keeps its
    /// first result), for a connection that closed before the exchange reached the handler: its pipeline is gone,
    /// and the handler with it.
    func exchange(
        head: HTTPRequestHead, body: ByteBuffer?, on channel: any Channel, deadline: NIODeadline,
        maxBodyBytes: Int
    ) async throws -> HTTP1Answer {
        let promise = channel.eventLoop.makePromise(of: HTTP1Answer.self)
        let id = exchanges.add(1, ordering: .relaxed).newValue
        let pipeline = channel.pipeline
        channel.writeAndFlush(HTTP1Exchange(head: head, body: body, maxBodyBytes: maxBodyBytes, promise: promise, id: id)).whenFailure { _ in
            promise.fail(HTTP1TransportError.connectionClosed(answerStarted: false))
        }
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
            pipeline.fireUserInboundEventTriggered(HTTP1ExchangeInterruption(reason: .deadlinePassed, exchange: id))
            promise.fail(HTTP1TransportError.deadlinePassed)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            pipeline.fireUserInboundEventTriggered(HTTP1ExchangeInterruption(reason: .cancelled, exchange: id))
            promise.fail(CancellationError())
        }
    }

    private func connection(to origin: HTTPOrigin, reuse: Bool, deadline: NIODeadline) async throws -> (any Channel, reused: Bool) {
        while reuse, let channel = idle.withLock({ $0[origin]?.popLast() }) {
            if channel.isActive { return (channel, true) }
        }
        return (try await connect(to: origin, deadline: deadline), false)
    }

    func connect(to origin: HTTPOrigin, deadline: NIODeadline) async throws -> any Channel {
        try Task.checkCancellation()
        let remaining = deadline - .now()
        guard remaining > .zero else { throw HTTP1TransportError.deadlinePassed }
        let sslContext = try origin.scheme == .https ? tlsContext() : nil
        let serverName = origin.hostIsAddress ? nil : origin.host
        let idleTimeout = self.idleTimeout
        let loop = group.next()
        let handshake = sslContext == nil ? nil : loop.makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(min(remaining, connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if let sslContext, let handshake {
                        try operations.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                        try operations.addHandler(TLSHandshakeWatcher(promise: handshake))
                    }
                    try operations.addHTTPClientHandlers()
                    try operations.addHandler(HTTP1ExchangeHandler(idleTimeout: idleTimeout, firstExchangeBy: deadline))
                }
            }
        let channel: any Channel
        let address = try await checkedAddress(of: origin)
        do {
            channel = try await (address.map { bootstrap.connect(to: $0) } ?? bootstrap.connect(host: origin.host, port: origin.port)).get()
        } catch ChannelError.connectTimeout {
            handshake?.fail(HTTP1TransportError.deadlinePassed)
            throw deadline <= .now() ? HTTP1TransportError.deadlinePassed : HTTP1TransportError.connectionFailed("connect timed out")
        } catch {
            handshake?.fail(HTTP1TransportError.connectionFailed("cannot connect"))
            throw HTTP1TransportError.connectionFailed("cannot connect: \(error)")
        }
        if let handshake {
            // The handshake within the request's deadline, like the rest of it.
            let timer = loop.scheduleTask(deadline: deadline) { handshake.fail(HTTP1TransportError.deadlinePassed) }
            do {
                try await handshake.futureResult.get()
                timer.cancel()
            } catch {
                timer.cancel()
                channel.close(promise: nil)
                throw error
            }
        }
        channel.closeFuture.whenComplete { [weak self] _ in self?.forget(channel, origin: origin) }
        return channel
    }

    /// Under ``DestinationPolicy/publicOnly``, the address to connect to, resolved and checked; nil under `.any`.
    private func checkedAddress(of origin: HTTPOrigin) async throws -> SocketAddress? {
        guard destinationPolicy == .publicOnly else { return nil }
        let address: SocketAddress
        do {
            // getaddrinfo blocks: on NIO's thread pool, never a cooperative thread.
            address = try await NIOThreadPool.singleton.runIfActive {
                try SocketAddress.makeAddressResolvingHost(origin.host, port: origin.port)
            }
        } catch {
            throw HTTP1TransportError.connectionFailed("cannot resolve \(origin.host)")
        }
        guard DestinationAddress.isPublic(Self.bytes(of: address)) else {
            throw HTTP1TransportError.destinationRefused(
                "\(origin.host) resolves to \(address.ipAddress ?? "an address") on a loopback, private or reserved network; "
                    + "set allow_private_network: true on the subscription to allow it")
        }
        return address
    }

    static func bytes(of address: SocketAddress) -> [UInt8] {
        switch address {
        case .v4(let v4): withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6): withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        case .unixDomainSocket: []
        }
    }

    /// Idle connections kept for `origin`, for tests.
    func idleConnections(to origin: HTTPOrigin) -> Int {
        idle.withLock { $0[origin]?.count ?? 0 }
    }

    private func release(_ channel: any Channel, origin: HTTPOrigin) {
        let kept = idle.withLock { idle in
            guard idle[origin, default: []].count < maxIdlePerOrigin else { return false }
            idle[origin, default: []].append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
        // Closed (its idle timeout, the server) after its answer and before it came back here: `forget` ran first.
        if kept && !channel.isActive { forget(channel, origin: origin) }
    }

    private func forget(_ channel: any Channel, origin: HTTPOrigin) {
        idle.withLock { idle in idle[origin]?.removeAll { $0 === channel } }
    }

    private func tlsContext() throws(HTTP1TransportError) -> NIOSSLContext {
        let result = tls.withLock { cached -> Result<NIOSSLContext, HTTP1TransportError> in
            if let cached { return cached }
            let made = Result { try NIOSSLContext(configuration: .makeClientConfiguration()) }
                .mapError { HTTP1TransportError.connectionFailed("cannot set up TLS: \($0)") }
            cached = made
            return made
        }
        return try result.get()
    }
}
