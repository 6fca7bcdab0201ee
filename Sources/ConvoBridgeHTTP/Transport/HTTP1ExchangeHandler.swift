import NIOCore
import NIOHTTP1
import NIOSSL

/// Carries one exchange at a time on an HTTP/1.1 connection: writes the request, collects the answer within its
/// body limit, and completes the exchange's promise exactly once — with the answer, or with why there is none.
///
/// Every failure closes the connection, so a connection that goes back to the pool is always between answers.
/// A connection idle (between answers) for `idleTimeout` is closed; the pool forgets it when it closes.
final class HTTP1ExchangeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTP1Exchange
    typealias OutboundOut = HTTPClientRequestPart

    private enum State {
        case idle
        case awaitingHead(HTTP1Exchange)
        case receivingBody(HTTP1Exchange, HTTPResponseHead, ByteBuffer?)
        case closed
    }

    private var state = State.idle
    /// An interruption that overtook its exchange's write (both come from other threads): the exchange fails as it
    /// arrives.
    private var interruptedBeforeWrite: HTTP1ExchangeInterruption?
    private let idleTimeout: TimeAmount
    /// When the connection last became idle. Checked by one timer per connection, re-armed only when it fires:
    /// NIO's `IdleStateHandler` would allocate a promise for every write of every exchange.
    private var idleSince = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    /// Until its first exchange is written, a new connection belongs to the request that opened it, which may
    /// reach this event loop late on a loaded machine: it is not idle before that request's deadline.
    private var firstExchangeBy: NIODeadline?

    /// - Parameter firstExchangeBy: the deadline of the request that opens the connection.
    init(idleTimeout: TimeAmount, firstExchangeBy: NIODeadline) {
        self.idleTimeout = idleTimeout
        self.firstExchangeBy = firstExchangeBy
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armIdleCheck(context: context, at: .now() + idleTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        idleSince = .now()
        if idleCheck == nil { armIdleCheck(context: context, at: .now() + idleTimeout) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        if let interruption = interruptedBeforeWrite, interruption.exchange == exchange.id {
            interruptedBeforeWrite = nil
            state = .awaitingHead(exchange)
            promise?.fail(HTTP1TransportError.connectionClosed(answerStarted: false))
            return interrupt(interruption.reason, context: context)
        }
        guard case .idle = state else {
            let error = HTTP1TransportError.connectionClosed(answerStarted: false)
            exchange.promise.fail(error)
            promise?.fail(error)
            return
        }
        state = .awaitingHead(exchange)
        if firstExchangeBy != nil {
            // The check may be waiting for that request's deadline: from now on it counts idleness again.
            firstExchangeBy = nil
            idleCheck?.cancel()
            armIdleCheck(context: context, at: .now() + idleTimeout)
        }
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .awaitingHead(let exchange)):
            state = .receivingBody(exchange, head, nil)
        case (.body(var part), .receivingBody(let exchange, let head, var collected)):
            let size = (collected?.readableBytes ?? 0) + part.readableBytes
            guard size <= exchange.maxBodyBytes else {
                fail(HTTP1TransportError.responseTooLarge(limit: exchange.maxBodyBytes), context: context)
                return
            }
            // The first part is kept as it came; later ones are appended (most answers come in one).
            if collected == nil { collected = part } else { collected!.writeBuffer(&part) }
            state = .receivingBody(exchange, head, collected)
        case (.end, .receivingBody(let exchange, let head, let collected)):
            let keepAlive = head.isKeepAlive
            state = keepAlive ? .idle : .closed
            idleSince = .now()
            exchange.promise.succeed(
                HTTP1Answer(
                    status: Int(head.status.code), headers: head.headers,
                    body: collected ?? context.channel.allocator.buffer(capacity: 0), keepAlive: keepAlive))
            if !keepAlive { context.close(promise: nil) }
        case (_, .closed):
            break
        default:
            // An answer nobody asked for, or parts out of order: the connection cannot be trusted with another.
            fail(HTTP1TransportError.connectionFailed("unexpected HTTP answer on the connection"), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failPending(with: closedError())
        state = .closed
        idleCheck?.cancel()
        idleCheck = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case HTTPParserError.invalidEOFState, NIOSSLError.uncleanShutdown:
            // The decoder's and TLS's words for a connection closed before the answer ended (TLS: without saying
            // so first): closed like any other, so that a stale pooled connection is retried.
            fail(closedError(), context: context)
        case let error as HTTPParserError:
            fail(HTTP1TransportError.connectionFailed("not a valid HTTP answer (\(error))"), context: context)
        case let error as NIOSSLError:
            fail(HTTP1TransportError.tls(error), context: context)
        default:
            fail(HTTP1TransportError.connectionFailed(String(describing: error)), context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let interruption = event as? HTTP1ExchangeInterruption {
            switch state {
            case .awaitingHead(let exchange) where exchange.id == interruption.exchange,
                .receivingBody(let exchange, _, _) where exchange.id == interruption.exchange:
                interrupt(interruption.reason, context: context)
            case .idle:
                interruptedBeforeWrite = interruption
            default:
                // An exchange that already ended: nothing to interrupt.
                break
            }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func armIdleCheck(context: ChannelHandlerContext, at deadline: NIODeadline) {
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            idleCheck = nil
            switch state {
            case .idle:
                let now = NIODeadline.now()
                if let first = firstExchangeBy, now < first {
                    armIdleCheck(context: context, at: max(first, idleSince + idleTimeout))
                } else if now >= idleSince + idleTimeout {
                    state = .closed
                    context.close(promise: nil)
                } else {
                    armIdleCheck(context: context, at: idleSince + idleTimeout)
                }
            case .awaitingHead, .receivingBody:
                armIdleCheck(context: context, at: .now() + idleTimeout)
            case .closed:
                break
            }
        }
    }

    private func interrupt(_ reason: HTTP1ExchangeInterruption.Reason, context: ChannelHandlerContext) {
        switch reason {
        case .deadlinePassed: fail(HTTP1TransportError.deadlinePassed, context: context)
        case .cancelled: fail(CancellationError(), context: context)
        }
    }

    private func closedError() -> HTTP1TransportError {
        if case .receivingBody = state { return .connectionClosed(answerStarted: true) }
        return .connectionClosed(answerStarted: false)
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        failPending(with: error)
        state = .closed
        context.close(promise: nil)
    }

    private func failPending(with error: any Error) {
        switch state {
        case .awaitingHead(let exchange), .receivingBody(let exchange, _, _): exchange.promise.fail(error)
        case .idle, .closed: break
        }
    }
}
