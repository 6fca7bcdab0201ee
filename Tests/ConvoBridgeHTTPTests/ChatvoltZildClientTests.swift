import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeSimulator
import ConvoBridgeTestSupport
import Testing

@Suite("Chatvolt and Zild clients against the simulator, over HTTP")
struct ChatvoltZildClientTests {
    typealias Harness = SimulatorHarness

    @Test("Bearer header, never printed")
    func bearer() {
        let token = BearerToken("t0k3n-value")
        #expect(token.headers.map { "\($0.name): \($0.value)" } == ["Authorization: Bearer t0k3n-value"])
        #expect(!token.description.contains("t0k3n") && token.secrets == ["t0k3n-value"])
    }

    @Test("Chatvolt: a conversation read by id, its status following the lifecycle (UNRESOLVED → HUMAN_REQUESTED → RESOLVED)")
    func chatvoltFetch() async throws {
        try await Harness.with { harness in
            let id = try #require(harness.world.conversations.first?.id)
            let chatvolt = harness.chatvolt()
            guard case .found(let open) = try await chatvolt.fetch(conversationID: id) else {
                Issue.record("expected the conversation")
                return
            }
            #expect(open.snapshot.platform == .chatvolt && open.snapshot.state == "UNRESOLVED" && open.snapshot.status == .open)
            #expect(open.snapshot.attributes["ai_enabled"] == .bool(true) && open.snapshot.assignee == nil)
            try harness.world.assign(id, operator: "Ana Ruiz", team: "Soporte")
            guard case .found(let assigned) = try await chatvolt.fetch(conversationID: id) else {
                Issue.record("expected the conversation")
                return
            }
            #expect(assigned.snapshot.state == "HUMAN_REQUESTED" && assigned.snapshot.assignee?.name == "Ana Ruiz")
            #expect(assigned.snapshot.attributes["ai_enabled"] == .bool(false))
            try harness.world.close(id)
            guard case .found(let closed) = try await chatvolt.fetch(conversationID: id) else {
                Issue.record("expected the conversation")
                return
            }
            #expect(closed.snapshot.state == "RESOLVED" && closed.snapshot.status == .closed)
        }
    }

    @Test("Chatvolt: deleted is not-found; a wrong base URL's 404 is an error; 403 is an auth failure, not retried")
    func chatvoltErrors() async throws {
        try await Harness.with { harness in
            let id = try #require(harness.world.conversations.first?.id)
            try harness.world.delete(id)
            #expect(try await harness.chatvolt().fetch(conversationID: id) == .notFound)
            let wrongBase = ChatvoltClient(
                baseURL: harness.baseURL + "/nowhere", token: Harness.bearer, http: harness.sourceClient(), redactor: harness.redactor)
            let routing = await #expect(throws: SourceError.self) { try await wrongBase.fetch(conversationID: "conv-000002") }
            #expect(routing?.description.contains("not Chatvolt's not-found answer") == true, "\(String(describing: routing))")
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(observer: attempts)
            let refused = await #expect(throws: SourceError.self) {
                try await harness.chatvolt(token: BearerToken("wrong-token"), client: client).fetch(conversationID: "conv-000002")
            }
            #expect(refused == .unauthorized(status: 403, detail: "UNAUTHORIZED"))
            #expect(attempts.count == 1)
        }
    }

    @Test("Chatvolt list: every page walked by cursor, each conversation once, window and status filters")
    func chatvoltList() async throws {
        try await Harness.with(population: 10) { harness in
            let everything = SlidingWindow.Range(start: Harness.fixedNow.adding(milliseconds: -7_200_000), end: Harness.fixedNow)
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(observer: attempts)
            let listed = try await harness.chatvolt(pageSize: 3, client: client).list(range: everything)
            #expect(Set(listed.map(\.conversationID)) == Set(harness.world.conversations.map(\.id)))
            #expect(listed.count == 10)
            #expect(attempts.count == 4, "pages of 3, 3, 3, 1")
            #expect(listed.allSatisfy { $0.coverage == ChatvoltConversationPayload.coverage })

            let open = try #require(harness.world.conversations.first { $0.isOpen })
            try harness.world.close(open.id)
            let resolved = try await harness.chatvolt(status: "RESOLVED").list(range: everything)
            #expect(Set(resolved.map(\.conversationID)) == Set(harness.world.conversations.filter { !$0.isOpen }.map(\.id)))
            #expect(resolved.contains { $0.conversationID == open.id } && resolved.allSatisfy { $0.snapshot.status == .closed })
            let before = SlidingWindow.Range(
                start: Harness.fixedNow.adding(milliseconds: -90_000_000), end: Harness.fixedNow.adding(milliseconds: -86_400_000))
            #expect(try await harness.chatvolt().list(range: before).isEmpty, "nothing created a day ago")
        }
    }

    @Test("Chatvolt list: a page that fails fails the list; the cursor is the last item's createdAt and id")
    func chatvoltListFailure() async throws {
        try await Harness.with(population: 10) { harness in
            let everything = SlidingWindow.Range(start: Harness.fixedNow.adding(milliseconds: -7_200_000), end: Harness.fixedNow)
            harness.world.addFault(SimulatorFault(kind: .malformedJSON))
            let error = await #expect(throws: SourceError.self) { try await harness.chatvolt(pageSize: 3).list(range: everything) }
            #expect(error?.kind == "invalid_payload")
            #expect(
                ChatvoltClient.cursor(after: .object(["id": .string("c-9"), "createdAt": .string("2026-01-15T10:00:00.000Z")]))
                    == #"{"lastCreatedAt":"2026-01-15T10:00:00.000Z","lastId":"c-9"}"#)
            let url = harness.chatvolt(pageSize: 3).listURL(range: everything, cursor: #"{"lastId":"c 9"}"#)
            #expect(
                url.contains("limit=3") && url.contains("cursor=%7B%22lastId%22%3A%22c%209%22%7D")
                    && url.contains("createdAt=2026-01-15T10%3A00%3A00.000Z"))
        }
    }

    @Test("Zild: read by integer id; the lifecycle as state, queue, assignee, end reason (labelled) and duration")
    func zildFetch() async throws {
        try await Harness.with { harness in
            let conversation = try #require(harness.world.conversations.first)
            let zild = harness.zild(labels: [1: "closed_by_operator"])
            let id = String(conversation.number)
            guard case .found(let open) = try await zild.fetch(conversationID: id) else {
                Issue.record("expected the conversation")
                return
            }
            #expect(open.snapshot.platform == .zild && open.snapshot.conversationID == id && open.snapshot.state == "bot")
            try harness.world.assign(conversation.id, operator: "Ana Ruiz", team: "Soporte")
            guard case .found(let live) = try await zild.fetch(conversationID: id) else {
                Issue.record("expected the conversation")
                return
            }
            #expect(live.snapshot.state == "live_agent" && live.snapshot.assignee?.name == "Ana Ruiz" && live.snapshot.queue == "Soporte")
            try harness.world.close(conversation.id, reason: "closed_by_operator")
            guard case .found(let ended) = try await zild.fetch(conversationID: id) else {
                Issue.record("expected the conversation")
                return
            }
            #expect(ended.snapshot.status == .closed && ended.snapshot.endedReason == "closed_by_operator")
            #expect(ended.snapshot.attributes["duration_ms"]?.int64Value.map { $0 > 0 } == true)
        }
    }

    @Test("Zild: a non-integer id is refused before any request; deleted is not-found; 401 is an auth failure; faults are clear errors")
    func zildErrors() async throws {
        try await Harness.with { harness in
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(observer: attempts)
            let zild = harness.zild(client: client)
            #expect(zild.problem(withConversationID: "conv-1") != nil && zild.problem(withConversationID: "0") != nil)
            #expect(zild.problem(withConversationID: "42") == nil)
            await #expect(throws: SourceError.self) { try await zild.fetch(conversationID: "conv-1") }
            #expect(attempts.count == 0)
            let conversation = try #require(harness.world.conversations.first)
            try harness.world.delete(conversation.id)
            #expect(try await zild.fetch(conversationID: String(conversation.number)) == .notFound)
            let refused = await #expect(throws: SourceError.self) {
                try await harness.zild(token: BearerToken("expired-jwt")).fetch(conversationID: "2")
            }
            #expect(refused?.kind == "unauthorized")
            harness.world.addFault(SimulatorFault(kind: .serverError))
            let failed = await #expect(throws: SourceError.self) { try await zild.fetch(conversationID: "2") }
            #expect(failed?.description == "HTTP 500: Internal server error")
            harness.world.addFault(SimulatorFault(kind: .truncatedBody))
            let truncated = await #expect(throws: SourceError.self) { try await zild.fetch(conversationID: "2") }
            #expect(truncated?.kind == "invalid_payload")
            guard case .found = try await zild.fetch(conversationID: "2") else {
                Issue.record("works again after the faults")
                return
            }
        }
    }
}
