public import ConvoBridgeCore
import ConvoBridgeSigning
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore

/// Receives the events platforms push. Each request is checked in this order, and a failed check ends it with
/// nothing recorded: size (413), signature over the exact raw bytes or shared secret (401), JSON, event shape and
/// conversation id (400), payload time within the replay window where the platform sends one (400). A valid event
/// goes to the ``NativeEventSink`` (202); a body it recorded recently is answered 200 with nothing new recorded; 503
/// if the sink cannot record it, so the platform may retry.
public final class WebhookReceiver: Sendable {
    public let endpoints: [WebhookEndpoint]
    public let maxBodyBytes: Int
    private let sink: any NativeEventSink
    private let now: @Sendable () -> Timestamp
    private let logger: Logger
    private let observer: (any WebhookObserver)?

    public init(
        endpoints: [WebhookEndpoint], sink: any NativeEventSink, maxBodyBytes: Int = 256 * 1024,
        now: @escaping @Sendable () -> Timestamp, logger: Logger, observer: (any WebhookObserver)? = nil
    ) {
        self.endpoints = endpoints
        self.sink = sink
        self.maxBodyBytes = maxBodyBytes
        self.now = now
        self.logger = logger
        self.observer = observer
    }

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
            return reject(.contentTooLarge, "body of \(length) bytes is over the \(maxBodyBytes)-byte limit", endpoint, .tooLarge)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return reject(.contentTooLarge, "body is over the \(maxBodyBytes)-byte limit", endpoint, .tooLarge)
        }
        let body = Array(buffer: buffer)
        let header = HTTPField.Name(endpoint.verification.header).flatMap { request.headers[$0] }
        if let failure = endpoint.verification.failure(header: header, body: body) {
            return reject(.unauthorized, failure, endpoint, .badSignature)
        }

        let event: NativeEvent
        do {
            let json = try JSONParser.parse(body)
            event = try endpoint.format.nativeEvent(from: json)
        } catch let error as JSONParseError {
            return reject(.badRequest, "body is not JSON: \(error)", endpoint, .malformed)
        } catch {
            return reject(.badRequest, "\(error)", endpoint, .malformed)
        }
        if let window = endpoint.replayWindow, let occurredAt = event.occurredAt {
            let skew = Duration.milliseconds(occurredAt.millisecondsSinceEpoch.subtractingSaturated(now().millisecondsSinceEpoch))
            guard skew.magnitude <= window else {
                return reject(
                    .badRequest,
                    "timestamp \(occurredAt.rfc3339) is \(skew.wholeSeconds) s from now, outside the replay window of \(window.wholeSeconds) s",
                    endpoint, .outsideReplayWindow)
            }
        }
        let acceptance: WebhookAcceptance
        do {
            acceptance = try await sink.accept(event, source: endpoint.source, bodyDigest: BodyDigest.sha256(body))
        } catch {
            return reject(.serviceUnavailable, "could not record the event: \(error)", endpoint, .unrecorded)
        }
        if acceptance == .duplicate {
            observer?.webhookAnswered(source: endpoint.source, outcome: .duplicate)
            logger.debug("webhook already recorded", metadata: ["source": "\(endpoint.source)", "event": "\(event.name)"])
            return .json(
                .ok, .object(["status": .string("duplicate"), "event": .string(event.name), "conversation_id": .string(event.conversationID)]))
        }
        observer?.webhookAnswered(source: endpoint.source, outcome: .accepted)
        logger.debug(
            "webhook accepted", metadata: ["source": "\(endpoint.source)", "event": "\(event.name)", "conversation_id": "\(event.conversationID)"])
        return .json(
            .accepted, .object(["status": .string("accepted"), "event": .string(event.name), "conversation_id": .string(event.conversationID)]))
    }

    private func reject(
        _ status: HTTPResponse.Status, _ reason: String, _ endpoint: WebhookEndpoint, _ outcome: WebhookOutcome
    ) -> Response {
        observer?.webhookAnswered(source: endpoint.source, outcome: outcome)
        logger.warning("webhook rejected", metadata: ["source": "\(endpoint.source)", "status": "\(status.code)", "reason": "\(reason)"])
        return .json(status, .object(["status": .string("rejected"), "error": .string(reason)]))
    }
}

extension Duration {
    fileprivate var magnitude: Duration { self < .zero ? .zero - self : self }
    fileprivate var wholeSeconds: Int64 { components.seconds }
}
