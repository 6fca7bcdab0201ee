import NIOCore
import NIOHTTP1

/// One request written to a pooled connection, with the promise its answer completes.
struct HTTP1Exchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var maxBodyBytes: Int
    var promise: EventLoopPromise<HTTP1Answer>
    /// Names this exchange in interruptions, which may arrive after it ended (the connection carrying another):
    /// unique in its pool.
    var id: UInt64
}

/// A complete answer: status, headers and the whole body.
struct HTTP1Answer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer
    /// Whether the connection may carry another exchange.
    var keepAlive: Bool
}

/// What the pool sends down a connection's pipeline to end one exchange early.
struct HTTP1ExchangeInterruption: Sendable {
    enum Reason: Sendable {
        case deadlinePassed
        case cancelled
    }

    var reason: Reason
    var exchange: UInt64
}
