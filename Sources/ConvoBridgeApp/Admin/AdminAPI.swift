import ConvoBridgeCore
import ConvoBridgeServer
import ConvoBridgeStore
import Hummingbird
import HTTPTypes
import Logging

/// The admin API under `/admin`, served only when `server.admin_token_*` is configured. Every request needs
/// `Authorization: Bearer <token>` (compared in constant time); anything else is 401.
///
/// | method and path | does |
/// |---|---|
/// | `GET /admin/sources` | each source: paused, circuit open, watched / retired / vanished counts |
/// | `GET /admin/sources/{source}/conversations` | the watch list |
/// | `POST /admin/sources/{source}/conversations` `{"id": …}` | watch a conversation (polled at once) |
/// | `DELETE /admin/sources/{source}/conversations/{id}` | stop polling it (kept, with its sequence) |
/// | `POST /admin/sources/{source}/conversations/{id}/poll` | poll it now |
/// | `POST /admin/sources/{source}/poll` | poll every watched conversation of the source now |
/// | `POST /admin/sources/{source}/pause`, `…/resume` | stop / restart polling and discovery of that source |
/// | `GET /admin/outbox` | records waiting for Kafka and the age of the oldest |
struct AdminAPI: Sendable {
    let token: String
    let store: BridgeStore
    let pollers: [String: SourcePoller]
    let now: @Sendable () -> Timestamp
    let logger: Logger

    func addRoutes(to router: Router<BasicRequestContext>) {
        let admin = router.group("admin")
        admin.get("sources") { request, _ in
            try authorized(request) {
                .object(JSONObject(pollers.keys.sorted().map { name in
                    let counts = (try? store.counts(source: name)) ?? (watched: 0, retired: 0, vanished: 0)
                    let poller = pollers[name]!
                    return JSONObject.Member(key: name, value: .object([
                        "paused": .bool(poller.isPaused), "circuit_open": .bool(poller.health(now: now()).circuitOpen),
                        "watched": .integer(counts.watched), "retired": .integer(counts.retired), "vanished": .integer(counts.vanished),
                    ]))
                }))
            }
        }
        admin.get("sources/:source/conversations") { request, context in
            try authorized(request) {
                let source = try poller(context).source
                return .array(try store.watchList(source: source).map { entry in
                    .object([
                        "conversation_id": .string(entry.conversationID), "next_poll_at": .optional(entry.nextPollAt?.rfc3339),
                        "status": .optional(entry.status), "state": .optional(entry.state),
                        "last_sequence": .integer(entry.lastSequence), "vanished": .bool(entry.vanished),
                    ])
                })
            }
        }
        admin.post("sources/:source/conversations") { request, context in
            let body = try await request.body.collect(upTo: 16 * 1024)
            return try authorized(request) {
                let poller = try poller(context)
                guard let json = try? JSONParser.parse(Array(buffer: body)), let id = json["id"]?.stringValue, !id.isEmpty else {
                    throw AdminError(status: .badRequest, message: #"expected {"id": "<conversation id>"}"#)
                }
                try schedule(poller, id, discoveredBy: "admin")
                return .object(["status": .string("watching"), "conversation_id": .string(id)])
            }
        }
        admin.delete("sources/:source/conversations/:id") { request, context in
            try authorized(request) {
                let poller = try poller(context)
                let id = try parameter(context, "id")
                try store.write(source: poller.source, conversationID: id, discoveredBy: "admin", now: now()) { tracked in
                    ConversationWrite(tracked: tracked, poll: .retire)
                }
                logger.notice("conversation removed from the watch list by an operator", metadata: ["source": "\(poller.source)", "conversation_id": "\(id)"])
                return .object(["status": .string("removed"), "conversation_id": .string(id)])
            }
        }
        admin.post("sources/:source/conversations/:id/poll") { request, context in
            try authorized(request) {
                let poller = try poller(context)
                let id = try parameter(context, "id")
                try schedule(poller, id, discoveredBy: "admin")
                return .object(["status": .string("polling"), "conversation_id": .string(id)])
            }
        }
        admin.post("sources/:source/poll") { request, context in
            try authorized(request) {
                let poller = try poller(context)
                let count = try store.pollAll(source: poller.source, now: now())
                poller.pollDueNow()
                return .object(["status": .string("polling"), "conversations": .integer(count)])
            }
        }
        for (action, paused) in [("pause", true), ("resume", false)] {
            admin.post("sources/:source/\(action)") { request, context in
                try authorized(request) {
                    let poller = try poller(context)
                    poller.setPaused(paused)
                    return .object(["source": .string(poller.source), "paused": .bool(paused)])
                }
            }
        }
        admin.get("outbox") { request, _ in
            try authorized(request) {
                let oldest = try store.oldestOutboxTime()
                return .object([
                    "depth": .integer(try store.outboxCount()),
                    "oldest_age_seconds": .number(String(Double(oldest.map { now().millisecondsSinceEpoch - $0.millisecondsSinceEpoch } ?? 0) / 1000)),
                ])
            }
        }
    }

    private func schedule(_ poller: SourcePoller, _ id: String, discoveredBy: String) throws {
        if let problem = poller.reader.problem(withConversationID: id) { throw AdminError(status: .badRequest, message: problem) }
        let at = now()
        try store.write(source: poller.source, conversationID: id, discoveredBy: discoveredBy, now: at) { tracked in
            ConversationWrite(tracked: tracked, poll: tracked.vanished ? .keep : .noLaterThan(at))
        }
        poller.pollDueNow()
    }

    private func poller(_ context: BasicRequestContext) throws -> SourcePoller {
        let name = try parameter(context, "source")
        guard let poller = pollers[name] else {
            throw AdminError(status: .notFound, message: "no source \(name); sources: \(pollers.keys.sorted().joined(separator: ", "))")
        }
        return poller
    }

    private func parameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name), !value.isEmpty else { throw AdminError(status: .badRequest, message: "missing \(name)") }
        return value
    }

    /// Runs `body` if the bearer token matches, and renders its JSON (or its `AdminError`).
    private func authorized(_ request: Request, _ body: () throws -> JSONValue) throws -> Response {
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), ConstantTime.equals(header.utf8.dropFirst(7), token.utf8) else {
            return Response.json(.unauthorized, .object(["error": .string("missing or wrong bearer token")]),
                             headers: [.wwwAuthenticate: #"Bearer realm="convobridge-admin""#])
        }
        do {
            return Response.json(.ok, try body())
        } catch let error as AdminError {
            return Response.json(error.status, .object(["error": .string(error.message)]))
        }
    }
}

/// An admin request that cannot be carried out, with its status.
struct AdminError: Error {
    var status: HTTPResponse.Status
    var message: String
}
