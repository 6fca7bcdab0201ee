import ConvoBridgeCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Jelou's Get Conversation (under both path prefixes, both auth schemes) and Advisor Conversations (Basic auth),
/// over the simulator's population, with the injected faults applied first.
struct JelouSimulatorRoutes: Sendable {
    let configuration: SimulatorConfiguration
    let world: SimulatorWorld
    let logger: Logger
    private let basicHeader: String

    init(configuration: SimulatorConfiguration, world: SimulatorWorld, logger: Logger) {
        self.configuration = configuration
        self.world = world
        self.logger = logger
        basicHeader = "Basic " + Data("\(configuration.clientID):\(configuration.clientSecret)".utf8).base64EncodedString()
    }

    static let pathPrefixes: Set<String> = ["jelouapi", "platform"]

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get(":prefix/v1/external-support/:project/conversations/:conversation") { request, context in
            // An unknown prefix is a routing miss, answered as a web server does (not with Jelou's envelope).
            guard let prefix = context.parameters.get("prefix"), Self.pathPrefixes.contains(prefix) else {
                return SimulatorResponses.bytes(.notFound, Array("Cannot GET \(request.uri.path)".utf8), contentType: "text/html")
            }
            return try await withFaults(conversationID: context.parameters.get("conversation")) { getConversation(request, context) }
        }
        router.post("v1/metrics/conversations/attended/external") { request, _ in
            let body = try await request.body.collect(upTo: 64 * 1024)
            return try await withFaults { advisorConversations(request, body: Array(buffer: body)) }
        }
    }

    private func getConversation(_ request: Request, _ context: BasicRequestContext) -> JSONAnswer {
        let apiKey = request.headers[HTTPField.Name("x-api-key")!]
        guard apiKey == configuration.apiKey || request.headers[.authorization] == basicHeader else {
            return JSONAnswer.jelouError(.unauthorized, code: "unauthorized", description: "Invalid or missing credentials")
        }
        guard context.parameters.get("project") == configuration.projectID,
            let id = context.parameters.get("conversation"), let conversation = world.conversation(id)
        else {
            return JSONAnswer.jelouError(.notFound, code: "conversation_not_found", description: "Conversation not found")
        }
        return JSONAnswer(.ok, world.patched(conversation.getConversationBody(), conversationID: id, under: "data"))
    }

    private func advisorConversations(_ request: Request, body: [UInt8]) -> JSONAnswer {
        guard request.headers[.authorization] == basicHeader else {
            return JSONAnswer.jelouError(.unauthorized, code: "unauthorized", description: "Invalid or missing credentials")
        }
        let query = request.uri.queryParameters
        let limit = query.get("limit").map { Int($0) } ?? 10
        let page = query.get("page").map { Int($0) } ?? 1
        guard let limit, let page, limit >= 1, limit <= 1000, page >= 1 else {
            return JSONAnswer.jelouError(
                .unprocessableContent, code: "validation_error", description: "limit and page must be positive integers",
                validation: ["query": .string("limit 1...1000, page >= 1")])
        }
        guard let json = try? JSONParser.parse(body),
            let start = json["startAt"]?.stringValue.flatMap(Timestamp.init(iso8601:)),
            let end = json["endAt"]?.stringValue.flatMap(Timestamp.init(iso8601:)),
            json["getJson"]?.boolValue == true
        else {
            return JSONAnswer.jelouError(
                .unprocessableContent, code: "validation_error",
                description: "startAt and endAt (ISO 8601) and getJson: true are required",
                validation: ["body": .string("startAt, endAt, getJson")])
        }
        let all = world.attended(start: start, end: end)
        let offset = (page - 1) * limit
        let slice = offset < all.count ? Array(all[offset..<min(all.count, offset + limit)]) : []
        let totalPages = max(1, (all.count + limit - 1) / limit)
        let now = world.currentTime
        return JSONAnswer(
            .ok,
            .object([
                "message": .array([.string("Conversations retrieved successfully")]),
                "status": .string("success"),
                "results": .array(slice.map { $0.advisorResult(now: now) }),
                "pagination": .object([
                    "limit": .integer(limit), "page": .integer(page), "total": .integer(all.count),
                    "offset": .integer(offset), "totalPages": .integer(totalPages),
                ]),
                "links": .array(
                    (1...totalPages).map { number in
                        .object([
                            "number": .integer(number), "url": .string("/v1/metrics/conversations/attended/external?limit=\(limit)&page=\(number)"),
                        ])
                    }),
            ]))
    }

    private func withFaults(conversationID: String? = nil, _ answer: () -> JSONAnswer) async throws -> Response {
        try await FaultInjector(world: world, logger: logger, platformError: Self.error, malformedBody: Self.malformedBody)
            .serve(conversationID: conversationID, answer)
    }

    static func error(_ status: HTTPResponse.Status, _ description: String) -> JSONAnswer {
        JSONAnswer.jelouError(status, code: status == .unauthorized ? "unauthorized" : "internal_error", description: description)
    }

    static let malformedBody = Array("{\"message\": [\"Conversation retrieved successfully\"], \"data\": {\"_id\": oops}".utf8)
}
