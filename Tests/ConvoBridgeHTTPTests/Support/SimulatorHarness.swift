import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeSimulator
import ConvoBridgeTestSupport
import Logging

/// A running simulator on a loopback port, a shared HTTP client, and a source client whose time is a manual clock.
struct SimulatorHarness: Sendable {
    static let configuration = SimulatorConfiguration(
        projectID: "proj-1", apiKey: "key-0123456789abcdef",
        clientID: "client-1", clientSecret: "secret-0123456789abcdef",
        bearerToken: "bearer-0123456789abcdef")
    static let apiKey = JelouCredentials.apiKey(configuration.apiKey)
    static let basic = JelouCredentials.basic(clientID: configuration.clientID, clientSecret: configuration.clientSecret)
    static let fixedNow = Timestamp(iso8601: "2026-01-15T12:00:00Z")!

    let simulator: PlatformSimulator
    let http: SharedHTTPClient
    let clock: ManualClock
    let logs: CapturedLogs
    let baseURL: String

    var world: SimulatorWorld { simulator.world }

    static let bearer = BearerToken(configuration.bearerToken)

    var redactor: SecretRedactor {
        SecretRedactor(secrets: Self.apiKey.secrets + Self.basic.secrets + Self.bearer.secrets)
    }

    func sourceClient(
        _ policy: SourceHTTPPolicy = SourceHTTPPolicy(requestsPerSecond: 1000, burst: 1000), observer: (any SourceHTTPObserver)? = nil
    ) -> SourceHTTPClient {
        SourceHTTPClient(
            sourceName: "jelou-test", http: http, policy: policy,
            time: TimeSource(clock: clock, wallClock: { Self.fixedNow }), redactor: redactor, logger: logs.logger, observer: observer)
    }

    func conversations(
        _ credentials: JelouCredentials = Self.apiKey, prefix: String = "jelouapi", client: SourceHTTPClient? = nil
    ) -> JelouConversationClient {
        JelouConversationClient(
            baseURL: "\(baseURL)/\(prefix)/", projectID: Self.configuration.projectID, credentials: credentials,
            http: client ?? sourceClient(), redactor: redactor)
    }

    func advisor(pageSize: Int = 3, client: SourceHTTPClient? = nil) -> JelouAdvisorClient {
        JelouAdvisorClient(apiBaseURL: baseURL, credentials: Self.basic, pageSize: pageSize, http: client ?? sourceClient(), redactor: redactor)
    }

    func chatvolt(pageSize: Int = 3, status: String? = nil, token: BearerToken = Self.bearer, client: SourceHTTPClient? = nil) -> ChatvoltClient {
        ChatvoltClient(
            baseURL: "\(baseURL)/chatvolt", token: token, statusFilter: status, pageSize: pageSize, http: client ?? sourceClient(), redactor: redactor
        )
    }

    func zild(token: BearerToken = Self.bearer, labels: [Int64: String] = [:], client: SourceHTTPClient? = nil) -> ZildClient {
        ZildClient(baseURL: "\(baseURL)/zild", token: token, endedReasonLabels: labels, http: client ?? sourceClient(), redactor: redactor)
    }

    /// Runs `body` with a simulator of `population` conversations, then stops everything.
    static func with<Result: Sendable>(
        population: Int = 10,
        seed: UInt64 = 42,
        _ body: (SimulatorHarness) async throws -> Result
    ) async throws -> Result {
        let world = SimulatorWorld(population: population, seed: seed, now: { fixedNow })
        let simulator = PlatformSimulator(
            configuration: configuration, world: world, logger: Logger(label: "simulator") { _ in SwiftLogNoOpLogHandler() })
        let http = SharedHTTPClient()
        let server = Task { try await simulator.run() }
        let harness = SimulatorHarness(
            simulator: simulator, http: http, clock: ManualClock(), logs: CapturedLogs(),
            baseURL: await simulator.baseURL())
        do {
            let result = try await body(harness)
            server.cancel()
            _ = await server.result
            try await http.shutdown()
            return result
        } catch {
            server.cancel()
            _ = await server.result
            try? await http.shutdown()
            throw error
        }
    }
}
