import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeSimulator
import ConvoBridgeTestSupport
import Testing

@Suite("Jelou Advisor Conversations against the simulator, over HTTP")
struct JelouAdvisorClientTests {
    typealias Harness = SimulatorHarness
    static let range = SlidingWindow.Range(start: Timestamp(iso8601: "2026-01-15T00:00:00Z")!, end: Harness.fixedNow)

    @Test("The request body is the documented one")
    func requestBody() {
        #expect(
            String(decoding: JelouAdvisorClient.requestBody(Self.range), as: UTF8.self)
                == #"{"startAt":"2026-01-15T00:00:00.000Z","endAt":"2026-01-15T12:00:00.000Z","getJson":true}"#)
    }

    @Test("Every page is walked and every attended conversation observed once, operator and team included")
    func pagination() async throws {
        try await Harness.with(population: 40, seed: 3) { harness in
            let expected = harness.world.attended(start: Self.range.start, end: Self.range.end)
            #expect(expected.count > 8, "the population must span several pages")
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(observer: attempts)
            let observed = try await harness.advisor(pageSize: 4, client: client).list(range: Self.range)
            #expect(observed.map(\.conversationID) == expected.map(\.id))
            #expect(attempts.count == (expected.count + 3) / 4)
            for (observation, conversation) in zip(observed, expected) {
                #expect(observation.snapshot.assignee?.name == conversation.operatorName)
                #expect(observation.snapshot.team == conversation.teamName)
                #expect(observation.snapshot.state == conversation.state)
            }
        }
    }

    @Test("A conversation outside the window is not listed; one inside it is")
    func window() async throws {
        try await Harness.with(population: 0) { harness in
            try harness.world.create(id: "inside")
            try harness.world.assign("inside", operator: "Ana", team: "Soporte")
            let observed = try await harness.advisor().list(range: Self.range)
            #expect(observed.map(\.conversationID) == ["inside"])
            let later = SlidingWindow.Range(start: Harness.fixedNow.adding(milliseconds: 1000), end: Harness.fixedNow.adding(milliseconds: 60_000))
            #expect(try await harness.advisor().list(range: later).isEmpty)
        }
    }

    @Test("422 from the platform is a clear error")
    func validationError() async throws {
        try await Harness.with { harness in
            let error = await #expect(throws: SourceError.self) { try await harness.advisor(pageSize: 5000).list(range: Self.range) }
            guard case .httpStatus(422, let detail)? = error else {
                Issue.record("got \(String(describing: error))")
                return
            }
            #expect(detail.contains("validation_error"))
        }
    }

    @Test("A page that fails mid-walk fails the whole walk: no partial list")
    func failureMidWalk() async throws {
        try await Harness.with(population: 40, seed: 3) { harness in
            let advisor = harness.advisor(pageSize: 4)
            _ = try await advisor.fetchPage(1, range: Self.range)
            harness.world.addFault(SimulatorFault(kind: .latency, count: 1, latencyMilliseconds: 1))
            harness.world.addFault(SimulatorFault(kind: .serverError, count: 1))
            let error = await #expect(throws: SourceError.self) { try await advisor.list(range: Self.range) }
            #expect(error?.kind == "http_status")
        }
    }

    @Test("Advisor Conversations takes Basic credentials only")
    func basicOnly() async throws {
        try await Harness.with { harness in
            let advisor = JelouAdvisorClient(
                apiBaseURL: harness.baseURL, credentials: Harness.apiKey, http: harness.sourceClient(), redactor: harness.redactor)
            let error = await #expect(throws: SourceError.self) { try await advisor.list(range: Self.range) }
            #expect(error?.kind == "unauthorized")
        }
    }
}

extension JelouAdvisorClientTests {
    @Test(
        "Injected faults on Advisor Conversations give clear errors and no list",
        arguments: [
            (SimulatorFault.Kind.serverError, 1, "http_status"), (.malformedJSON, 1, "invalid_payload"), (.truncatedBody, 1, "invalid_payload"),
            (.htmlError, 1, "http_status"), (.rateLimit, 1, "rate_limited"), (.unauthorized, 1, "unauthorized"),
        ])
    func faults(kind: SimulatorFault.Kind, count: Int, errorKind: String) async throws {
        try await Harness.with(population: 20, seed: 3) { harness in
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(observer: attempts)
            let advisor = harness.advisor(pageSize: 4, client: client)
            harness.world.addFault(SimulatorFault(kind: kind, count: count, retryAfterSeconds: 1))
            let error = await #expect(throws: SourceError.self) {
                try await harness.clock.runAdvancing { try await advisor.list(range: Self.range) }
            }
            #expect(error?.kind == errorKind, "\(String(describing: error))")
            let recovered = try await advisor.list(range: Self.range)
            #expect(recovered.count > 0, "works again once the fault is gone")
        }
    }

    @Test("A failed page is asked again on its own, from its page number: the walk does not restart")
    func pageRetriedOnItsOwn() async throws {
        try await Harness.with(population: 20, seed: 3) { harness in
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(observer: attempts)
            let advisor = harness.advisor(pageSize: 4, client: client)
            let whole = try await advisor.list(range: Self.range)
            let requestsBefore = attempts.count
            let first = try await advisor.page(.first, of: Self.range)
            let second = try #require(first.next)
            #expect(second == ListCursor(page: 2))
            harness.world.addFault(SimulatorFault(kind: .htmlError))
            await #expect(throws: SourceError.self) { try await advisor.page(second, of: Self.range) }
            var conversations = first.conversations
            var cursor: ListCursor? = second
            while let current = cursor {
                let page = try await advisor.page(current, of: Self.range)
                conversations += page.conversations
                cursor = page.next
            }
            #expect(conversations.keepingLastOfEachConversation().map(\.conversationID) == whole.map(\.conversationID))
            #expect(attempts.count - requestsBefore == (whole.count + 3) / 4 + 1, "one request per page, plus the failed one")
        }
    }
}
