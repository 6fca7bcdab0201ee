import NIOCore
import NIOSSL
import NIOTLS

/// Completes its promise when a new connection's TLS handshake ends, so that the pool hands out only connections
/// that speak TLS, and a refused certificate fails the request with its own reason (not as a connection that
/// closed before answering). Leaves the pipeline once the handshake is done.
final class TLSHandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            promise.succeed()
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail((error as? NIOSSLError).map(HTTP1TransportError.tls) ?? HTTP1TransportError.connectionFailed("TLS failed: \(error)"))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(HTTP1TransportError.connectionFailed("TLS handshake failed: the connection closed"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        promise.fail(HTTP1TransportError.connectionFailed("TLS handshake failed: the connection closed"))
    }
}
