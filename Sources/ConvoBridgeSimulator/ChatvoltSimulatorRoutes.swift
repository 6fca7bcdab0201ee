import ConvoBridgeCore
import HTTPTypes
import Hummingbird
import Logging

/// Chatvolt's `GET /conversation/{id}` and `GET /conversation` (creation window, status filter, `limit` ≤ 100,
/// cursor `{"lastCreatedAt","lastId"}`), Bearer auth, over the simulator's population, faults first. Served under
/// `/chatvolt` so one simulator can play every platform.
struct ChatvoltSimulatorRoutes: Sendable {
    let configuration: SimulatorConfiguration
    let world: SimulatorWorld
    let logger: Logger

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("chatvolt/conversation/:conversation") { request, context in
            try await faults.serve(conversationID: context.parameters.get("conversation")) { getConversation(request, context) }
        }
        router.get("chatvolt/conversation") { request, _ in
            try await faults.serve { listConversations(request) }
        }
    }

    private var faults: FaultInjector {
        FaultInjector(
            world: world, logger: logger,
            platformError: { status, _ in Self.error(status, status == .unauthorized ? "UNAUTHORIZED" : "INTERNAL_ERROR") },
            malformedBody: Array(#"{"id": "conv-1", "status": RESOLVED"#.utf8))
    }

    static func error(_ status: HTTPResponse.Status, _ code: String) -> JSONAnswer {
        JSONAnswer(status, .object(["error": .string(code)]))
    }

    private func authorized(_ request: Request) -> Bool {
        request.headers[.authorization] == "Bearer \(configuration.bearerToken)"
    }

    private func getConversation(_ request: Request, _ context: BasicRequestContext) -> JSONAnswer {
        guard authorized(request) else { return Self.error(.forbidden, "UNAUTHORIZED") }
        guard let id = context.parameters.get("conversation"), let conversation = world.conversation(id) else {
            return Self.error(.notFound, "No Conversation found")
        }
        return JSONAnswer(.ok, world.patched(conversation.chatvoltBody(), conversationID: id))
    }

    private func listConversations(_ request: Request) -> JSONAnswer {
        guard authorized(request) else { return Self.error(.forbidden, "UNAUTHORIZED") }
        let query = request.uri.queryParameters
        let limit = query.get("limit").map { Int($0) } ?? 25
        guard let limit, (1...100).contains(limit) else { return Self.error(.badRequest, "INVALID_REQUEST") }
        let from = query.get("createdAt").map { Timestamp(iso8601: $0) }
        let to = query.get("endDate").map { Timestamp(iso8601: $0) }
        if from == .some(nil) || to == .some(nil) { return Self.error(.badRequest, "INVALID_REQUEST") }
        var after: (createdAt: Timestamp, id: String)?
        if let cursor = query.get("cursor") {
            guard let json = try? JSONParser.parse(cursor), let created = json["lastCreatedAt"]?.stringValue.flatMap(Timestamp.init(iso8601:)),
                let id = json["lastId"]?.stringValue
            else { return Self.error(.badRequest, "INVALID_REQUEST") }
            after = (created, id)
        }
        let status = query.get("status")
        // Oldest first, then by id; the cursor continues strictly after the last item of the previous page.
        let matching = world.conversations.filter { conversation in
            guard !conversation.deleted else { return false }
            if let from = from ?? nil, conversation.startAt < from { return false }
            if let to = to ?? nil, conversation.startAt > to { return false }
            if let status, conversation.chatvoltBody()["status"]?.stringValue != status { return false }
            if let after, (conversation.startAt, conversation.id) <= (after.createdAt, after.id) { return false }
            return true
        }.sorted { ($0.startAt, $0.id) < ($1.startAt, $1.id) }
        return JSONAnswer(.ok, .array(matching.prefix(limit).map { $0.chatvoltBody() }))
    }
}
