import ConvoBridgeCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Serves the next injected fault instead of (or, for latency, before) the real answer, in the shapes of the
/// platform the request was for.
struct FaultInjector {
    let world: SimulatorWorld
    let logger: Logger
    /// The platform's error body for a status and a description (500, 401).
    let platformError: (HTTPResponse.Status, String) -> JSONAnswer
    /// A 200 body that is not JSON, in the platform's style.
    let malformedBody: [UInt8]

    /// - Parameter conversationID: the conversation the request is for, nil for a list.
    func serve(conversationID: String? = nil, _ answer: () -> JSONAnswer) async throws -> Response {
        guard let fault = world.takeFault(for: conversationID) else { return answer().response }
        logger.debug("serving fault", metadata: ["fault": "\(fault.kind.rawValue)"])
        switch fault.kind {
        case .rateLimit:
            var headers = HTTPFields()
            headers[.retryAfter] = String(fault.retryAfterSeconds)
            return SimulatorResponses.json(.tooManyRequests, .object(["message": .string("Too Many Requests")]), headers: headers)
        case .serverError:
            return platformError(.internalServerError, "Internal server error").response
        case .unavailable:
            return Response(status: .serviceUnavailable)
        case .latency:
            try await Task.sleep(for: .milliseconds(fault.latencyMilliseconds))
            return answer().response
        case .malformedJSON:
            return SimulatorResponses.bytes(.ok, malformedBody, contentType: "application/json")
        case .htmlError:
            return SimulatorResponses.bytes(.badGateway, SimulatorResponses.htmlErrorPage, contentType: "text/html")
        case .truncatedBody:
            let whole = JSONWriter.encode(answer().body)
            return SimulatorResponses.bytes(.ok, Array(whole.prefix(whole.count / 2)), contentType: "application/json")
        case .unauthorized:
            return platformError(.unauthorized, "Invalid or missing credentials").response
        case .stalledBody:
            let whole = JSONWriter.encode(answer().body)
            let half = whole.count / 2
            let stall = Duration.milliseconds(fault.latencyMilliseconds)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(contentLength: whole.count) { writer in
                    try await writer.write(ByteBuffer(bytes: whole[..<half]))
                    try await Task.sleep(for: stall)
                    try await writer.write(ByteBuffer(bytes: whole[half...]))
                    try await writer.finish(nil)
                })
        case .oversizedBody:
            // Valid JSON, just too much of it: the answer's members and a padding member.
            var object = answer().body.objectValue ?? [:]
            object.append("padding", .string(String(repeating: "x", count: fault.bodyBytes)))
            return SimulatorResponses.json(.ok, .object(object))
        }
    }
}
