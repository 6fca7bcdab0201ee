public import ConvoBridgeCore
public import Hummingbird
public import Logging
import NIOCore
import HTTPTypes
import Synchronization

/// Receives the events platforms push. Each request is checked in this order, and a failed check ends it with
/// nothing recorded: size (413), signature over the exact raw bytes or shared secret (401), JSON and event shape
/// (400). A valid
/// event goes to the ``NativeEventSink`` (202), or 503 if the sink cannot record it so the platform may retry.
public final class WebhookReceiver: Sendable {
    public let endpoints: [WebhookEndpoint]
    public let maxBodyBytes: Int
    private let sink: any NativeEventSink
    private let logger: Logger
    private let counters = Mutex(WebhookStatistics())

    public init(endpoints: [WebhookEndpoint], sink: any NativeEventSink, maxBodyBytes: Int = 256 * 1024, logger: Logger) {
        self.endpoints = endpoints
        self.sink = sink
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    public var statistics: WebhookStatistics { counters.withLock { $0 } }

    /// Adds one `POST` route per endpoint.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        for endpoint in endpoints {
            router.post(RouterPath(endpoint.path)) { request, _ in
                try await self.receive(request, endpoint: endpoint)
            }
        }
    }

    func receive(_ request: Request, endpoint: WebhookEndpoint) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            return reject(.contentTooLarge, "body of \(length) bytes is over the \(maxBodyBytes)-byte limit", endpoint) { $0.tooLarge += 1 }
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return reject(.contentTooLarge, "body is over the \(maxBodyBytes)-byte limit", endpoint) { $0.tooLarge += 1 }
        }
        let body = Array(buffer: buffer)
        let header = HTTPField.Name(endpoint.verification.header).flatMap { request.headers[$0] }
        if let failure = endpoint.verification.failure(header: header, body: body) {
            return reject(.unauthorized, failure, endpoint) { $0.badSignature += 1 }
        }

        let event: NativeEvent
        do {
            let json = try JSONParser.parse(body)
            event = try endpoint.format.nativeEvent(from: json)
        } catch let error as JSONParseError {
            return reject(.badRequest, "body is not JSON: \(error)", endpoint) { $0.malformed += 1 }
        } catch {
            return reject(.badRequest, "\(error)", endpoint) { $0.malformed += 1 }
        }
        do {
            try await sink.accept(event, source: endpoint.source)
        } catch {
            return reject(.serviceUnavailable, "could not record the event: \(error)", endpoint) { $0.sinkFailures += 1 }
        }
        counters.withLock { $0.accepted += 1 }
        logger.debug("webhook accepted", metadata: ["source": "\(endpoint.source)", "event": "\(event.name)", "conversation_id": "\(event.conversationID)"])
        return .json(.accepted, .object(["status": .string("accepted"), "event": .string(event.name), "conversation_id": .string(event.conversationID)]))
    }

    private func reject(_ status: HTTPResponse.Status, _ reason: String, _ endpoint: WebhookEndpoint,
                        _ count: (inout WebhookStatistics) -> Void) -> Response {
        counters.withLock { count(&$0) }
        logger.warning("webhook rejected", metadata: ["source": "\(endpoint.source)", "status": "\(status.code)", "reason": "\(reason)"])
        return .json(status, .object(["status": .string("rejected"), "error": .string(reason)]))
    }
}
