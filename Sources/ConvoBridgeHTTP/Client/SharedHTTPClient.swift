import AsyncHTTPClient
import ConvoBridgeCore
import NIOCore
import Tracing

/// The one connection pool every source shares (async-http-client on the shared NIO event loops).
/// Call ``shutdown()`` once, when the bridge stops.
public final class SharedHTTPClient: Sendable {
    let client: HTTPClient

    /// - Parameters:
    ///   - maxConnectionsPerHost: HTTP/1.1 connections kept per platform host.
    ///   - connectTimeout: time to establish a connection (the request timeout covers the rest).
    public init(maxConnectionsPerHost: Int = 8, connectTimeout: Duration = .seconds(5)) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(connectTimeout.wholeMilliseconds))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnectionsPerHost)
        configuration.redirectConfiguration = .disallow
        // No span per request: the bridge does not trace, and a span for each of thousands of polls a second costs
        // a few percent of its CPU even with the no-op tracer.
        configuration.tracing.tracer = nil
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }
}
