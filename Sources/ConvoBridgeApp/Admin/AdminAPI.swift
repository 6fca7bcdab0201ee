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
        let admin = router.group("admin").add(middleware: AdminBearerMiddleware(token: token, metrics: metrics, refusals: refusals, logger: logger))
        admin.get("sources") { _, _ in
            var sources: [String: AdminSourceSummary] = [:]
            for (name, poller) in pollers {
                let counts = (try? await store.counts(source: name)) ?? (watched: 0, retired: 0, vanished: 0)
                let schedule = poller.scheduleCounts()
                sources[name] = AdminSourceSummary(
                    paused: poller.isPausedByOperator, circuitOpen: poller.health(now: now()).circuitOpen, watched: counts.watched,
                    retired: counts.retired, vanished: counts.vanished, scheduled: schedule.scheduled,
                    inFlight: schedule.inFlight, dueNow: schedule.dueNow, pollLagP50Seconds: schedule.lagP50.map(Self.seconds),
                    pollLagP99Seconds: schedule.lagP99.map(Self.seconds))
            }
            return Response.json(.ok, sources)
        }
        admin.get("sources/:source/conversations") { _, context in
            let poller = try poller(context)
            try await poller.flushSchedule()
            let entries = try await store.watchList(source: poller.source).map { entry in
                AdminWatchEntry(
                    conversationID: entry.conversationID, nextPollAt: entry.nextPollAt?.rfc3339, status: entry.status, state: entry.state,
                    lastSequence: entry.lastSequence, vanished: entry.vanished)
            }
            return Response.json(.ok, entries)
        }
        admin.post("sources/:source/conversations") { request, context in
            let poller = try poller(context)
            let watch = try await Self.decode(AdminWatchRequest.self, request, upTo: 16 * 1024, expected: #"expected {"id": "<conversation id>"}"#)
            guard !watch.id.isEmpty else { throw AdminError(status: .badRequest, message: #"expected {"id": "<conversation id>"}"#) }
            try await schedule(poller, watch.id)
            return Response.json(.ok, AdminConversationResult(status: "watching", conversationID: watch.id))
        }
        admin.delete("sources/:source/conversations/:id") { _, context in
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
            return Response.json(.ok, AdminConversationResult(status: "removed", conversationID: id))
        }
        admin.post("sources/:source/conversations/:id/poll") { _, context in
            let poller = try poller(context)
            let id = try parameter(context, "id")
            try await schedule(poller, id)
            return Response.json(.ok, AdminConversationResult(status: "polling", conversationID: id))
        }
        admin.post("sources/:source/poll") { _, context in
            let poller = try poller(context)
            try await store.pollAll(source: poller.source, now: now())
            return Response.json(.ok, AdminPollAllResult(conversations: poller.pollAllNow()))
        }
        for (action, paused) in [("pause", true), ("resume", false)] {
            admin.post("sources/:source/\(action)") { _, context in
                let poller = try poller(context)
                poller.setPaused(paused)
                return Response.json(.ok, AdminPauseResult(source: poller.source, paused: paused))
            }
        }
        addQuarantineRoutes(to: admin)
        admin.get("outbox") { _, _ in
            let oldest = try await store.oldestOutboxTime()
            let age = oldest.map { now().millisecondsSinceEpoch.subtractingSaturated($0.millisecondsSinceEpoch) } ?? 0
            return Response.json(
                .ok,
                AdminOutboxSummary(
                    depth: try await store.outboxCount(), quarantined: try await store.quarantineCount(), oldestAgeSeconds: Double(age) / 1000))
        }
    }

    private func addQuarantineRoutes(to admin: RouterGroup<BasicRequestContext>) {
        admin.get("quarantine") { _, _ in
            let records = try await store.quarantinedRecords().map { record in
                AdminQuarantinedRecord(
                    id: record.id, key: record.key, topic: record.topic, sizeBytes: record.sizeBytes, reason: record.reason,
                    writtenAt: record.writtenAt.rfc3339, quarantinedAt: record.quarantinedAt.rfc3339)
            }
            return Response.json(.ok, records)
        }
        for action in ["retry", "drop"] {
            admin.post("quarantine/\(action)") { request, _ in
                let expected = #"expected {"ids": [<quarantined record id>, …]} or {"all": true}"#
                let body = try await Self.decode(AdminQuarantineRequest.self, request, upTo: 64 * 1024, expected: expected)
                guard let ids = body.selection else { throw AdminError(status: .badRequest, message: expected) }
                let count = action == "retry" ? try await store.retryQuarantined(ids: ids) : try await store.dropQuarantined(ids: ids)
                relayWake.signal()
                logger.notice(
                    action == "retry"
                        ? "quarantined records put back in the outbox by an operator" : "quarantined records dropped by an operator",
                    metadata: ["records": "\(count)", "ids": "\(ids.map { "\($0)" } ?? "all")"])
                return Response.json(.ok, AdminQuarantineResult(status: action == "retry" ? "retrying" : "dropped", records: count))
            }
        }
    }

    /// The request's body as `Message`, at most `limit` bytes; anything else is a 400 saying what was `expected`.
    /// The request's JSON body as `Message`, or a 400 that says what was expected.
    static func decode<Message: Decodable>(_ type: Message.Type, _ request: Request, upTo limit: Int, expected: String) async throws -> Message {
        let body = try await request.body.collect(upTo: limit)
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(Array(buffer: body))) else {
            throw AdminError(status: .badRequest, message: expected)
        }
        return message
    }

    private func schedule(_ poller: SourcePoller, _ id: String) async throws {
        if let problem = poller.reader.problem(withConversationID: id) { throw AdminError(status: .badRequest, message: problem) }
        if try await poller.handsOff(id, origin: .admin, pollNow: true) { return }
        let at = now()
        let write = try await store.write(source: poller.source, conversationID: id, discoveredBy: .admin, now: at) { tracked in
            ConversationWrite(tracked: tracked, poll: tracked.vanished ? .keep : .noLaterThan(at))
        }
        poller.scheduled(id, by: write)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.wholeMilliseconds) / 1000
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
}

/// An admin request that cannot be carried out, with its status.
struct AdminError: Error {
    var status: HTTPResponse.Status
    var message: String
}
