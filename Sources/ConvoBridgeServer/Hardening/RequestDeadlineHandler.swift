import HTTPTypes
public import NIOCore
public import NIOHTTPTypes

/// Closes a connection whose client is too slow: the request head must arrive within `headerTimeout` of the
/// connection opening (or of the previous response), and the whole body within `bodyTimeout` of the head. An idle
/// timeout alone lets a client that sends a byte every few seconds hold a connection, and its memory, for ever.
///
/// A state machine on the connection's event loop: `.awaitingHead` → `.readingBody` → `.handling` → (response sent)
/// `.awaitingHead`; each waiting state owns its timer.
public final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private enum State {
        case awaitingHead(Scheduled<Void>?)
        case readingBody(Scheduled<Void>?)
        case handling
    }

    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let onTimeout: @Sendable (_ phase: String) -> Void
    private var state: State = .handling

    /// - Parameter onTimeout: told which phase ran out (`header` or `body`), e.g. to count it.
    public init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount, onTimeout: @escaping @Sendable (_ phase: String) -> Void = { _ in }) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.onTimeout = onTimeout
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        state = .awaitingHead(schedule(headerTimeout, phase: "header", context: context))
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        state = .handling
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head, .awaitingHead):
            cancelTimer()
            state = .readingBody(schedule(bodyTimeout, phase: "body", context: context))
        case (.end, .readingBody):
            cancelTimer()
            state = .handling
        default:
            break
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), case .handling = state {
            // Answered: the next request on this connection gets its own header deadline.
            state = .awaitingHead(schedule(headerTimeout, phase: "header", context: context))
        }
        context.write(data, promise: promise)
    }

    private func schedule(_ timeout: TimeAmount, phase: String, context: ChannelHandlerContext) -> Scheduled<Void> {
        let channel = context.channel
        let onTimeout = self.onTimeout
        return context.eventLoop.scheduleTask(in: timeout) {
            onTimeout(phase)
            channel.close(promise: nil)
        }
    }

    private func cancelTimer() {
        switch state {
        case .awaitingHead(let timer), .readingBody(let timer): timer?.cancel()
        case .handling: break
        }
    }
}
