import AsyncHTTPClient
import ConvoBridgeCore
import ConvoBridgeSigning
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The control API under `/_sim`: change conversations, inject faults, read the change log, send webhooks.
///
/// | method and path | body | does |
/// |---|---|---|
/// | `GET /_sim/conversations` | | the population |
/// | `POST /_sim/conversations` | `{id?}` | starts a conversation |
/// | `POST /_sim/conversations/{id}/assign` | `{operator, team?}` | assigns it |
/// | `POST /_sim/conversations/{id}/close` | `{reason?, state?}` | closes it |
/// | `POST /_sim/conversations/{id}/reopen` | | reopens it |
/// | `POST /_sim/conversations/{id}/ended-reason` | `{reason}` | changes the end reason |
/// | `POST /_sim/conversations/{id}/state` | `{state}` | moves between closed states |
/// | `DELETE /_sim/conversations/{id}` | | deletes it (404 from then on) |
/// | `PUT /_sim/conversations/{id}/patch` | `{member: value…}` | merges these into its answers from now on (`{}` stops) |
/// | `POST /_sim/advance` | `{steps}` | moves random conversations along their script |
/// | `GET /_sim/changes?after=N` | | the change log |
/// | `POST /_sim/faults` | `{kind, count?, retry_after?, latency_ms?, body_bytes?, conversation_id?}` | injects a fault (for one conversation's reads only, with `conversation_id`) |
/// | `DELETE /_sim/faults` | | clears faults |
/// | `POST /_sim/webhooks` | `{event, conversation_id, url?}` | sends a signed webhook |
struct SimulatorControlRoutes: Sendable {
    let configuration: SimulatorConfiguration
    let world: SimulatorWorld
    let sender: WebhookSender
    let client: HTTPClient
    let logger: Logger

    func addRoutes(to router: Router<BasicRequestContext>) {
        let group = router.group("_sim")
        group.get("conversations") { _, _ in
            SimulatorResponses.json(.ok, .array(world.conversations.map { $0.getConversationBody()["data"] ?? .null }))
        }
        group.post("conversations") { request, _ in
            try await change(request) { json throws(SimulatorError) in try world.create(id: json["id"]?.stringValue) }
        }
        group.post("conversations/:id/assign") { request, context in
            try await change(request) { json throws(SimulatorError) in
                try world.assign(
                    try id(context), operator: json["operator"]?.stringValue ?? SimulatorWorld.operators[0], team: json["team"]?.stringValue)
            }
        }
        group.post("conversations/:id/close") { request, context in
            try await change(request) { json throws(SimulatorError) in
                try world.close(
                    try id(context), reason: json["reason"]?.stringValue ?? "closed_by_operator", state: json["state"]?.stringValue ?? "closed")
            }
        }
        group.post("conversations/:id/reopen") { request, context in
            try await change(request) { _ throws(SimulatorError) in try world.reopen(try id(context)) }
        }
        group.post("conversations/:id/ended-reason") { request, context in
            try await change(request) { json throws(SimulatorError) in try world.setEndedReason(try id(context), json["reason"]?.stringValue) }
        }
        group.post("conversations/:id/state") { request, context in
            try await change(request) { json throws(SimulatorError) in
                try world.setClosedState(try id(context), json["state"]?.stringValue ?? "resolved")
            }
        }
        group.delete("conversations/:id") { request, context in
            try await change(request) { _ throws(SimulatorError) in try world.delete(try id(context)) }
        }
        group.put("conversations/:id/patch") { request, context in
            let json = try await body(request, upTo: 4 << 20)
            guard let id = context.parameters.get("id"), let members = json.objectValue else {
                return SimulatorResponses.json(.badRequest, .object(["error": .string("expected a JSON object of members to merge")]))
            }
            world.setPatch(id, members)
            return SimulatorResponses.json(.ok, .object(["conversation_id": .string(id), "patched": .array(members.keys.map(JSONValue.string))]))
        }
        group.post("advance") { request, _ in
            let json = try await body(request)
            let changes = world.advance(steps: Int(json["steps"]?.int64Value ?? 1))
            for change in changes { log(change) }
            return SimulatorResponses.json(.ok, .array(changes.map(\.jsonValue)))
        }
        group.get("changes") { request, _ in
            let after = request.uri.queryParameters.get("after").flatMap { Int($0) } ?? 0
            return SimulatorResponses.json(.ok, .array(world.changes(after: after).map(\.jsonValue)))
        }
        group.post("faults") { request, _ in
            do {
                let fault = try SimulatorFault(json: try await body(request))
                world.addFault(fault)
                logger.info("fault injected", metadata: ["kind": "\(fault.kind.rawValue)", "count": "\(fault.count)"])
                return SimulatorResponses.json(.ok, .object(["status": .string("injected")]))
            } catch {
                return SimulatorResponses.json(.badRequest, .object(["error": .string("\(error)")]))
            }
        }
        // {"rate": 0.15, "kinds": [{"kind": "rate_limit", "retry_after": 1}, {"kind": "server_error"}…], "seed": 1}
        group.post("fault-rate") { request, _ in
            do {
                let json = try await body(request)
                let kinds = try (json["kinds"]?.arrayValue ?? []).map { try SimulatorFault(json: $0) }
                let rate = json["rate"]?.doubleValue ?? 0
                guard rate.isFinite, (0...1).contains(rate) else {
                    return SimulatorResponses.json(.badRequest, .object(["error": .string("rate must be within 0...1")]))
                }
                world.setRandomFaults(rate: rate, kinds: kinds, seed: UInt64(json["seed"]?.int64Value ?? 1))
                logger.info("random faults", metadata: ["rate": "\(rate)", "kinds": "\(kinds.map(\.kind.rawValue))"])
                return SimulatorResponses.json(.ok, .object(["status": .string("set")]))
            } catch {
                return SimulatorResponses.json(.badRequest, .object(["error": .string("\(error)")]))
            }
        }
        group.delete("faults") { _, _ in
            world.clearFaults()
            return SimulatorResponses.json(.ok, .object(["status": .string("cleared")]))
        }
        group.post("webhooks") { request, _ in
            let json = try await body(request)
            guard let event = json["event"]?.stringValue, let conversationID = json["conversation_id"]?.stringValue,
                let conversation = world.conversation(conversationID)
            else {
                return SimulatorResponses.json(.badRequest, .object(["error": .string("event and a known conversation_id are required")]))
            }
            guard let url = json["url"]?.stringValue ?? configuration.webhookURL else {
                return SimulatorResponses.json(.badRequest, .object(["error": .string("no url given and no webhook URL configured")]))
            }
            let payload = JSONWriter.encode(sender.payload(event: event, conversation: conversation, at: world.currentTime))
            do {
                let status = try await sender.send(payload, to: url, client: client)
                return SimulatorResponses.json(.ok, .object(["status": .integer(status)]))
            } catch {
                return SimulatorResponses.json(.badGateway, .object(["error": .string("could not deliver: \(error)")]))
            }
        }
    }

    private func id(_ context: BasicRequestContext) throws(SimulatorError) -> String {
        guard let id = context.parameters.get("id") else { throw .unknownConversation("") }
        return id
    }

    /// A patch may hold an oversized member on purpose: up to 4 MiB.
    private func body(_ request: Request, upTo limit: Int = 64 * 1024) async throws -> JSONValue {
        let buffer = try await request.body.collect(upTo: limit)
        guard buffer.readableBytes > 0 else { return .object([:]) }
        return (try? JSONParser.parse(Array(buffer: buffer))) ?? .object([:])
    }

    private func change(_ request: Request, _ apply: (JSONValue) throws(SimulatorError) -> SimulatorChange) async throws -> Response {
        let json = try await body(request)
        do {
            let change = try apply(json)
            log(change)
            return SimulatorResponses.json(.ok, change.jsonValue)
        } catch {
            let status: HTTPResponse.Status = if case .unknownConversation = error { .notFound } else { .conflict }
            return SimulatorResponses.json(status, .object(["error": .string(error.description)]))
        }
    }

    /// Every change is logged, so a run can be replayed and its expected events computed.
    private func log(_ change: SimulatorChange) {
        logger.info("simulator change", metadata: change.logMetadata)
    }
}
