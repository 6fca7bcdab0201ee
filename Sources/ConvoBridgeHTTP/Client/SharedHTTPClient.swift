/// The one connection pool every source shares: HTTP/1.1 keep-alive connections on the shared NIO event loops.
/// Call ``shutdown()`` once, when the bridge stops.
public final class SharedHTTPClient: Sendable {
    let pool: HTTP1ConnectionPool

    /// - Parameters:
    ///   - maxConnectionsPerHost: idle HTTP/1.1 connections kept per platform host (in use, there are as many as
    ///     the sources' `max_concurrent` allow).
    ///   - connectTimeout: time to establish a connection, within the request's own deadline.
    public init(maxConnectionsPerHost: Int = 8, connectTimeout: Duration = .seconds(5)) {
        pool = HTTP1ConnectionPool(maxIdlePerOrigin: maxConnectionsPerHost, connectTimeout: connectTimeout)
    }

    public func shutdown() async throws {
        await pool.shutdown()
    }
}
