import ConvoBridgeCore
import ConvoBridgeServer
import ConvoBridgeStore
import Foundation
import HTTPTypes
import Hummingbird
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
/// | `GET /admin/outbox` | records waiting for Kafka, the age of the oldest, and how many are quarantined |
/// | `GET /admin/quarantine` | the quarantined records (Kafka refused them for good, or their row was unreadable) |
/// | `POST /admin/quarantine/retry` `{"ids": […]}` or `{"all": true}` | put them back in the outbox, in their place |
/// | `POST /admin/quarantine/drop` `{"ids": […]}` or `{"all": true}` | delete them (their keys' sequences then skip them) |
struct AdminAPI: Sendable {
    let token: String
    let store: BridgeStore
    let pollers: [String: SourcePoller]
    /// Wakes the relay after a retry or a drop: the records waiting behind the quarantined ones can go.
    let relayWake: WakeSignal
    let metrics: BridgeMetrics
    let refusals = AdminTokenRefusals()
    let now: @Sendable () -> Timestamp
    let logger: Logger

    func addRoutes(to router: Router<BasicRequestContext>) {
        let admin = router.group("admin")
        admin.get("sources") { request, _ in
            try await authorized(request) {
                var members: [JSONObject.Member] = []
                for name in pollers.keys.sorted() {
                    let counts = (try? await store.counts(source: name)) ?? (watched: 0, retired: 0, vanished: 0)
                    let poller = pollers[name]!
                    let schedule = poller.scheduleCounts()
                    members.append(
                        JSONObject.Member(
                            key: name,
                            value: .object([
                                "paused": .bool(poller.isPausedByOperator), "circuit_open": .bool(poller.health(now: now()).circuitOpen),
                                "watched": .integer(counts.watched), "retired": .integer(counts.retired), "vanished": .integer(counts.vanished),
                                "scheduled": .integer(schedule.scheduled), "in_flight": .integer(schedule.inFlight),
                                "due_now": .integer(schedule.dueNow),
                                "poll_lag_p50_seconds": schedule.lagP50.map { .number(Self.seconds($0)) } ?? .null,
                                "poll_lag_p99_seconds": schedule.lagP99.map { .number(Self.seconds($0)) } ?? .null,
                            ])))
                }
                return .object(JSONObject(members))
            }
        }
        admin.get("sources/:source/conversations") { request, context in
            try await authorized(request) {
                let poller = try poller(context)
                try await poller.flushSchedule()
                return .array(
                    try await store.watchList(source: poller.source).map { entry in
                        .object([
                            "conversation_id": .string(entry.conversationID), "next_poll_at": .optional(entry.nextPollAt?.rfc3339),
                            "status": .optional(entry.status), "state": .optional(entry.state),
                            "last_sequence": .integer(entry.lastSequence), "vanished": .bool(entry.vanished),
                        ])
                    })
            }
        }
        admin.post("sources/:source/conversations") { request, context in
            try await authorized(request) {
                let body = try await request.body.collect(upTo: 16 * 1024)
                let poller = try poller(context)
                guard let json = try? JSONParser.parse(Array(buffer: body)), let id = json["id"]?.stringValue, !id.isEmpty else {
                    throw AdminError(status: .badRequest, message: #"expected {"id": "<conversation id>"}"#)
                }
                try await schedule(poller, id)
                return .object(["status": .string("watching"), "conversation_id": .string(id)])
            }
        }
        admin.delete("sources/:source/conversations/:id") { request, context in
            try await authorized(request) {
                let poller = try poller(context)
                let id = try parameter(context, "id")
                guard try await store.conversation(source: poller.source, conversationID: id) != nil else {
                    throw AdminError(status: .notFound, message: "source \(poller.source) has no conversation \(id)")
                }
                let write = try await store.write(source: poller.source, conversationID: id, discoveredBy: .admin, now: now()) { tracked in
                    ConversationWrite(tracked: tracked, poll: .retire)
                }
                poller.scheduled(id, by: write)
                logger.notice(
                    "conversation removed from the watch list by an operator", metadata: ["source": "\(poller.source)", "conversation_id": "\(id)"])
                return .object(["status": .string("removed"), "conversation_id": .string(id)])
            }
        }
        admin.post("sources/:source/conversations/:id/poll") { request, context in
            try await authorized(request) {
                let poller = try poller(context)
                let id = try parameter(context, "id")
                try await schedule(poller, id)
                return .object(["status": .string("polling"), "conversation_id": .string(id)])
            }
        }
        admin.post("sources/:source/poll") { request, context in
            try await authorized(request) {
                let poller = try poller(context)
                try await store.pollAll(source: poller.source, now: now())
                let count = poller.pollAllNow()
                return .object(["status": .string("polling"), "conversations": .integer(count)])
            }
        }
        for (action, paused) in [("pause", true), ("resume", false)] {
            admin.post("sources/:source/\(action)") { request, context in
                try await authorized(request) {
                    let poller = try poller(context)
                    poller.setPaused(paused)
                    return .object(["source": .string(poller.source), "paused": .bool(paused)])
                }
            }
        }
        addQuarantineRoutes(to: admin)
        admin.get("outbox") { request, _ in
            try await authorized(request) {
                let oldest = try await store.oldestOutboxTime()
                return .object([
                    "depth": .integer(try await store.outboxCount()),
                    "quarantined": .integer(try await store.quarantineCount()),
                    "oldest_age_seconds": .number(
                        String(Double(oldest.map { now().millisecondsSinceEpoch - $0.millisecondsSinceEpoch } ?? 0) / 1000)),
                ])
            }
        }
    }

    private func addQuarantineRoutes(to admin: RouterGroup<BasicRequestContext>) {
        admin.get("quarantine") { request, _ in
            try await authorized(request) {
                .array(
                    try await store.quarantinedRecords().map { record in
                        .object([
                            "id": .integer(record.id), "key": .optional(record.key), "topic": .optional(record.topic),
                            "size_bytes": .integer(Int64(record.sizeBytes)), "reason": .string(record.reason),
                            "written_at": .string(record.writtenAt.rfc3339), "quarantined_at": .string(record.quarantinedAt.rfc3339),
                        ])
                    })
            }
        }
        for action in ["retry", "drop"] {
            admin.post("quarantine/\(action)") { request, _ in
                try await authorized(request) {
                    let body = try await request.body.collect(upTo: 64 * 1024)
                    let json = try? JSONParser.parse(Array(buffer: body))
                    let ids: [Int64]?
                    if json?["all"]?.boolValue == true {
                        ids = nil
                    } else if let list = json?["ids"]?.arrayValue, !list.isEmpty, list.allSatisfy({ $0.int64Value != nil }) {
                        ids = list.compactMap(\.int64Value)
                    } else {
                        throw AdminError(status: .badRequest, message: #"expected {"ids": [<quarantined record id>, …]} or {"all": true}"#)
                    }
                    let count = action == "retry" ? try await store.retryQuarantined(ids: ids) : try await store.dropQuarantined(ids: ids)
                    relayWake.signal()
                    logger.notice(
                        action == "retry"
                            ? "quarantined records put back in the outbox by an operator" : "quarantined records dropped by an operator",
                        metadata: ["records": "\(count)", "ids": "\(ids.map { "\($0)" } ?? "all")"])
                    return .object(["status": .string(action == "retry" ? "retrying" : "dropped"), "records": .integer(Int64(count))])
                }
            }
        }
    }

    private func schedule(_ poller: SourcePoller, _ id: String) async throws {
        if let problem = poller.reader.problem(withConversationID: id) { throw AdminError(status: .badRequest, message: problem) }
        let at = now()
        let write = try await store.write(source: poller.source, conversationID: id, discoveredBy: .admin, now: at) { tracked in
            ConversationWrite(tracked: tracked, poll: tracked.vanished ? .keep : .noLaterThan(at))
        }
        poller.scheduled(id, by: write)
    }

    private static func seconds(_ duration: Duration) -> String {
        String(Double(duration.wholeMilliseconds) / 1000)
    }

    private func poller(_ context: BasicRequestContext) throws -> SourcePoller {
        let name = try parameter(context, "source")
        guard let poller = pollers[name] else {
            throw AdminError(status: .notFound, message: "no source \(name); sources: \(pollers.keys.sorted().joined(separator: ", "))")
        }
        return poller
    }

    /// A path parameter, percent-decoded (the CLI encodes ids, which may hold `/` or spaces).
    private func parameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name), !raw.isEmpty else { throw AdminError(status: .badRequest, message: "missing \(name)") }
        guard let value = raw.removingPercentEncoding, !value.isEmpty else {
            throw AdminError(status: .badRequest, message: "\(name) is not valid percent-encoded text")
        }
        return value
    }

    /// Runs `body` if the bearer token matches, and renders its JSON (or its `AdminError`). Checked before anything
    /// of the request's body is read; a refusal is counted, logged (never with the token) and answered late.
    private func authorized(_ request: Request, _ body: () async throws -> JSONValue) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), ConstantTime.equals(header.utf8.dropFirst(7), token.utf8) else {
            metrics.adminTokenRefused()
            if let refused = refusals.shouldLog(now: .now) {
                logger.warning(
                    "admin request refused: missing or wrong bearer token",
                    metadata: ["path": "\(request.uri.path)", "refused_since_last_log": "\(refused)"])
            }
            try? await Task.sleep(for: AdminTokenRefusals.delay)
            return Response.json(
                .unauthorized, .object(["error": .string("missing or wrong bearer token")]),
                headers: [.wwwAuthenticate: #"Bearer realm="convobridge-admin""#])
        }
        do {
            return Response.json(.ok, try await body())
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
