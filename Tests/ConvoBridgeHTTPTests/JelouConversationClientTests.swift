import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeSimulator
import ConvoBridgeTestSupport
import Testing

@Suite("Jelou Get Conversation against the simulator, over HTTP")
struct JelouConversationClientTests {
    typealias Harness = SimulatorHarness

    @Test("Exact auth headers: x-api-key, and Basic base64(clientId:clientSecret)")
    func authHeaders() {
        #expect(JelouCredentials.apiKey("k-1").headers.map { "\($0.name): \($0.value)" } == ["x-api-key: k-1"])
        // RFC 7617's example credentials.
        let basic = JelouCredentials.basic(clientID: "Aladdin", clientSecret: "open sesame")
        #expect(basic.headers.map { "\($0.name): \($0.value)" } == ["Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="])
        #expect(basic.secrets.contains("QWxhZGRpbjpvcGVuIHNlc2FtZQ==") && basic.secrets.contains("open sesame"))
        #expect(basic.description == "basic Aladdin:[REDACTED]")
        #expect(!JelouCredentials.apiKey("k-1").description.contains("k-1"))
    }

    @Test("Ids and project ids are percent-encoded as path segments; plain ones go as they are")
    func pathEncoding() async throws {
        try await Harness.with { harness in
            let client = JelouConversationClient(
                baseURL: "https://gateway.example/jelouapi/", projectID: "p 1/x", credentials: Harness.apiKey,
                http: harness.sourceClient(), redactor: harness.redactor)
            let prefix = "https://gateway.example/jelouapi/v1/external-support/p%201%2Fx/conversations/"
            #expect(client.url(conversationID: "c-1_a.b~") == prefix + "c-1_a.b~")
            #expect(client.url(conversationID: "a b/ñ?#%") == prefix + "a%20b%2F%C3%B1%3F%23%25")
        }
    }

    @Test(
        "Both auth schemes under both path prefixes read the same conversation",
        arguments: [
            (Harness.apiKey, "jelouapi"), (Harness.apiKey, "platform"), (Harness.basic, "jelouapi"), (Harness.basic, "platform"),
        ])
    func found(credentials: JelouCredentials, prefix: String) async throws {
        try await Harness.with { harness in
            let expected = try #require(harness.world.conversations.first)
            let result = try await harness.conversations(credentials, prefix: prefix).fetch(conversationID: expected.id)
            guard case .found(let observed) = result else {
                Issue.record("expected the conversation, got \(result)")
                return
            }
            #expect(observed.snapshot.conversationID == expected.id)
            #expect(observed.snapshot.state == expected.state)
            #expect(observed.snapshot.user?.name == expected.userName)
            #expect(observed.snapshot.bot?.channel == expected.channel)
            #expect(observed.snapshot.status == (expected.isOpen ? .open : .closed))
        }
    }

    @Test("The same body again, named by its fingerprint, is unchanged and not parsed; a changed one is read in full")
    func unchangedBody() async throws {
        try await Harness.with { harness in
            let id = try #require(harness.world.conversations.first).id
            let client = harness.conversations(Harness.apiKey, prefix: "jelouapi")
            let first = try await client.read(conversationID: id, unlessFingerprint: nil)
            guard case .found = first.fetch, let fingerprint = first.bodyFingerprint else {
                Issue.record("expected the conversation, got \(first)")
                return
            }
            #expect(try await client.read(conversationID: id, unlessFingerprint: fingerprint).fetch == .unchanged)
            #expect(
                try await client.read(conversationID: id, unlessFingerprint: fingerprint &+ 1).fetch == first.fetch,
                "another fingerprint: read in full")
            try harness.world.close(id)
            let changed = try await client.read(conversationID: id, unlessFingerprint: fingerprint)
            guard case .found(let closed) = changed.fetch else {
                Issue.record("expected the changed conversation, got \(changed)")
                return
            }
            #expect(closed.snapshot.status == .closed && changed.bodyFingerprint != fingerprint)
            // Errors are never "unchanged", whatever fingerprint is given.
            harness.world.addFault(SimulatorFault(kind: .serverError))
            await #expect(throws: SourceError.self) { try await client.read(conversationID: id, unlessFingerprint: changed.bodyFingerprint) }
        }
    }

    @Test("A deleted conversation is Jelou's 404 (notFound); a wrong prefix's 404 is an error, not a vanish")
    func notFound() async throws {
        try await Harness.with { harness in
            let id = try #require(harness.world.conversations.first?.id)
            try harness.world.delete(id)
            #expect(try await harness.conversations().fetch(conversationID: id) == .notFound)
            let error = await #expect(throws: SourceError.self) {
                try await harness.conversations(prefix: "wrongapi").fetch(conversationID: "conv-000002")
            }
            guard case .httpStatus(404, let detail)? = error else {
                Issue.record("got \(String(describing: error))")
                return
            }
            #expect(detail.contains("not Jelou's not-found answer"))
        }
    }

    @Test("Refused credentials: unauthorized at once, no retry, Jelou's explanation in the error")
    func unauthorized() async throws {
        try await Harness.with { harness in
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(observer: attempts)
            let error = await #expect(throws: SourceError.self) {
                try await harness.conversations(.apiKey("wrong-key"), client: client).fetch(conversationID: "conv-000001")
            }
            #expect(error == .unauthorized(status: 401, detail: "unauthorized: Invalid or missing credentials"))
            #expect(attempts.count == 1)
        }
    }

    @Test("A 429 fails at once with its Retry-After, and slows the whole source: the next request waits twice as long")
    func retryAfter() async throws {
        try await Harness.with { harness in
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(SourceHTTPPolicy(requestsPerSecond: 1, burst: 1), observer: attempts)
            harness.world.addFault(SimulatorFault(kind: .rateLimit, count: 1, retryAfterSeconds: 7))
            let conversations = harness.conversations(client: client)
            let error = await #expect(throws: SourceError.self) { try await conversations.fetch(conversationID: "conv-000001") }
            #expect(error?.retryAfter == .seconds(7), "\(String(describing: error))")
            #expect(harness.clock.requestedSleeps.isEmpty, "no sleep in place: the caller reschedules")
            #expect(client.isSlowed)
            // The bucket is empty and runs at half its rate while slowed: the next token comes after 2 s, not 1 s.
            let next = Task { try await conversations.fetch(conversationID: "conv-000002") }
            #expect(await harness.clock.waitForSleepers(1))
            #expect(harness.clock.requestedSleeps == [.seconds(2)])
            harness.clock.advance(by: .seconds(2))
            guard case .found = try await next.value else {
                Issue.record("expected the conversation")
                return
            }
            harness.clock.advance(by: .seconds(7))
            #expect(!client.isSlowed, "the full rate comes back after the Retry-After")
            #expect(attempts.count == 2 && attempts.count(status: 429) == 1)
            #expect(!harness.logs.lines.joined().contains(Harness.configuration.apiKey), "no secret in the logs")
        }
    }

    @Test("A 429 without Retry-After (Jelou documents none) slows the source for the backoff; a gateway's 503 fails at once")
    func noRetryInPlace() async throws {
        try await Harness.with { harness in
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(observer: attempts)
            harness.world.addFault(SimulatorFault(kind: .unavailable, count: 1))
            let conversations = harness.conversations(client: client)
            let error = await #expect(throws: SourceError.self) { try await conversations.fetch(conversationID: "conv-000001") }
            #expect(error?.kind == "http_status")
            #expect(harness.clock.requestedSleeps.isEmpty && attempts.count == 1 && attempts.failures == 1)
            #expect(!client.isSlowed, "a 503 without Retry-After says nothing of the pace")
            guard case .found = try await conversations.fetch(conversationID: "conv-000001") else {
                Issue.record("expected the conversation")
                return
            }
        }
    }

    /// Each injected fault: a clear error, nothing observed, and the client keeps working afterwards.
    @Test(
        "Injected faults give clear errors and no observation",
        arguments: [
            (SimulatorFault.Kind.serverError, false, "http_status", "HTTP 500: internal_error: Internal server error"),
            (.malformedJSON, false, "invalid_payload", "not JSON"),
            (.truncatedBody, false, "invalid_payload", "not JSON"),
            (.oversizedBody, true, "response_too_large", "response larger than 4194304 bytes"),
            (.htmlError, true, "http_status", "502 Bad Gateway"),
            (.rateLimit, true, "rate_limited", "Too Many Requests"),
            (.unavailable, true, "http_status", "HTTP 503: empty body"),
        ])
    func faults(kind: SimulatorFault.Kind, failedAttempt: Bool, errorKind: String, message: String) async throws {
        try await Harness.with { harness in
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(observer: attempts)
            harness.world.addFault(SimulatorFault(kind: kind, count: 1, retryAfterSeconds: 2))
            let conversations = harness.conversations(client: client)
            let error = await #expect(throws: SourceError.self) { try await conversations.fetch(conversationID: "conv-000001") }
            #expect(error?.kind == errorKind)
            #expect(error?.description.contains(message) == true, "\(String(describing: error))")
            #expect(attempts.failures == (failedAttempt ? 1 : 0), "a failed attempt is one whose answer the adapter never saw")
            guard case .found = try await conversations.fetch(conversationID: "conv-000001") else {
                Issue.record("the client must work again once the fault is gone")
                return
            }
        }
    }

    @Test("A slow platform times out; the error names the limit")
    func timeout() async throws {
        try await Harness.with { harness in
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(
                SourceHTTPPolicy(requestsPerSecond: 1000, burst: 1000, requestTimeout: .milliseconds(200)), observer: attempts)
            harness.world.addFault(SimulatorFault(kind: .latency, count: 1, latencyMilliseconds: 1500))
            let conversations = harness.conversations(client: client)
            let error = await #expect(throws: SourceError.self) { try await conversations.fetch(conversationID: "conv-000001") }
            #expect(error == .timeout(.milliseconds(200)))
            #expect(attempts.count == 1)
        }
    }

    @Test("An error body is redacted before it is cut: a key straddling the excerpt's end leaves nothing of itself")
    func redactedBeforeCut() {
        let key = "key-0123456789abcdef"
        for offset in 185...205 {
            let body = Array((String(repeating: "x", count: offset) + key + " trailing").utf8)
            let excerpt = SourceResponse(status: 500, headers: [:], body: body).bodyExcerpt(redactedBy: SecretRedactor(secrets: [key]))
            #expect(!excerpt.contains("key-0123") && !excerpt.contains("0123456789"), "offset \(offset): \(excerpt)")
            #expect(excerpt.count <= 201)
        }
    }

    @Test("A body over the size cap is refused, not retried")
    func responseTooLarge() async throws {
        try await Harness.with { harness in
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(SourceHTTPPolicy(requestsPerSecond: 1000, burst: 1000, maxResponseBytes: 64), observer: attempts)
            let error = await #expect(throws: SourceError.self) {
                try await harness.conversations(client: client).fetch(conversationID: "conv-000001")
            }
            #expect(error == .responseTooLarge(limit: 64))
            #expect(attempts.count == 1)
        }
    }

    @Test("Repeated 401s open the circuit: requests stop, one probe per interval, and an accepted probe resumes the source")
    func circuitBreaker() async throws {
        try await Harness.with { harness in
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(
                SourceHTTPPolicy(requestsPerSecond: 1000, burst: 1000, authFailureThreshold: 3, authProbeInterval: .seconds(60)),
                observer: attempts)
            let conversations = harness.conversations(client: client)
            harness.world.addFault(SimulatorFault(kind: .unauthorized, count: 4))
            for _ in 0..<3 {
                let error = await #expect(throws: SourceError.self) { try await conversations.fetch(conversationID: "conv-000001") }
                #expect(error?.kind == "unauthorized")
            }
            #expect(client.isCircuitOpen)
            let refused = await #expect(throws: SourceError.self) { try await conversations.fetch(conversationID: "conv-000001") }
            #expect(refused == .circuitOpen(retryIn: .seconds(60)))
            #expect(attempts.count == 3, "no request while the circuit is open")
            #expect(attempts.circuitOpenRefusals == 1)

            harness.clock.advance(by: .seconds(60))
            let probe = await #expect(throws: SourceError.self) { try await conversations.fetch(conversationID: "conv-000001") }
            #expect(probe?.kind == "unauthorized", "the probe went out and was refused again")
            #expect(attempts.count == 4)
            harness.clock.advance(by: .seconds(60))
            guard case .found = try await conversations.fetch(conversationID: "conv-000001") else {
                Issue.record("expected the conversation")
                return
            }
            #expect(!client.isCircuitOpen)
            let logText = harness.logs.lines.joined(separator: "\n")
            #expect(logText.contains("pausing the source"))
            for secret in harness.redactor.secrets { #expect(!logText.contains(secret)) }
        }
    }

    @Test("The token bucket paces requests on the injected clock")
    func rateLimit() async throws {
        try await Harness.with { harness in
            let attempts = RecordedAttempts()
            let client = harness.sourceClient(SourceHTTPPolicy(requestsPerSecond: 2, burst: 2), observer: attempts)
            let conversations = harness.conversations(client: client)
            _ = try await harness.clock.runAdvancing(by: .milliseconds(100)) {
                for _ in 0..<5 { _ = try await conversations.fetch(conversationID: "conv-000001") }
            }
            #expect(harness.clock.requestedSleeps.count == 3, "the burst of 2 went at once, the next 3 waited")
            #expect(attempts.count == 5)
        }
    }
}
