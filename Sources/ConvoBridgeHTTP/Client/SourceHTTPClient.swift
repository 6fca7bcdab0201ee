public import ConvoBridgeCore
public import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends one source's requests through the shared pool, politely: one ``SourcePacer`` for the whole source (a
/// token bucket that a 429 slows for its `Retry-After`), a concurrency cap, one deadline per attempt covering
/// connect, headers and body, and a circuit breaker that pauses the source after repeated 401/403.
///
/// Each call is one attempt: a failure is thrown at once, and the caller reschedules it (the poll engine puts it
/// back into its schedule with a backoff), so no task sleeps on a retry while holding a request slot.
///
/// Time comes from an injected ``TimeSource``, so tests drive pacing and deadlines without sleeping. Error texts
/// and log lines go through the source's ``SecretRedactor``; headers are never logged.
public final class SourceHTTPClient: Sendable {
    public let sourceName: String
    public let policy: SourceHTTPPolicy
    private let http: SharedHTTPClient
    private let time: TimeSource
    private let redactor: SecretRedactor
    private let logger: Logger
    private let pacer: Mutex<SourcePacer>
    private let breaker: Mutex<CircuitBreaker>
    private let permits: AsyncSemaphore
    private let observer: (any SourceHTTPObserver)?

    /// What the caller already does for this request: the poll engine takes the turn before it picks which
    /// conversation to poll (``waitForTurn()``), so the request is not paced twice.
    public struct Caller: Sendable {
        public var turnTaken: Bool

        public init(turnTaken: Bool = false) {
            self.turnTaken = turnTaken
        }
    }

    @TaskLocal public static var caller = Caller()

    public init(
        sourceName: String,
        http: SharedHTTPClient,
        policy: SourceHTTPPolicy = SourceHTTPPolicy(),
        time: TimeSource,
        redactor: SecretRedactor,
        logger: Logger,
        observer: (any SourceHTTPObserver)? = nil
    ) {
        self.observer = observer
        self.sourceName = sourceName
        self.policy = policy
        self.http = http
        self.time = time
        self.redactor = redactor
        var logger = logger
        logger[metadataKey: "source"] = "\(sourceName)"
        self.logger = logger
        self.pacer = Mutex(
            SourcePacer(rate: policy.requestsPerSecond, burst: policy.burst, slowedFactor: policy.rateLimitedFactor, now: time.elapsed))
        self.breaker = Mutex(CircuitBreaker(failureThreshold: policy.authFailureThreshold, probeInterval: policy.authProbeInterval))
        self.permits = AsyncSemaphore(permits: policy.maxConcurrentRequests)
    }

    /// Whether the credentials are being refused (the circuit is open).
    public var isCircuitOpen: Bool { breaker.withLock { $0.isOpen } }

    /// Whether a 429 is slowing the source now.
    public var isSlowed: Bool {
        let now = time.elapsed
        return pacer.withLock { $0.isSlowed(now: now) }
    }

    /// Waits until the source may send its next request (the token bucket, slowed after 429s).
    public func waitForTurn() async throws {
        let now = time.elapsed
        let wait = pacer.withLock { $0.reserve(now: now) }
        try await time.sleep(for: wait)
    }

    /// Sends `request` once and returns its answer when it is final: a success or a status the caller must
    /// interpret (404, 400, 500…). 401/403 feed the circuit breaker and are returned too.
    ///
    /// - Throws: ``SourceError``: `.rateLimited` (with the `Retry-After` it gave), `.httpStatus` for 502/503/504,
    ///   `.timeout` when the deadline passed, `.transport`, `.responseTooLarge`, `.circuitOpen`; or
    ///   `CancellationError`.
    public func send(_ request: SourceRequest) async throws -> SourceResponse {
        try Task.checkCancellation()
        try admitThroughBreaker()
        let caller = Self.caller
        if !caller.turnTaken { try await waitForTurn() }
        let started = ContinuousClock.now
        let response: SourceResponse
        do {
            response = try await permits.withPermit {
                try await perform(request)
            }
        } catch let error as CancellationError {
            throw error
        } catch {
            observer?.attemptFinished(source: sourceName, operation: request.operation, status: nil, latency: .now - started)
            if let error = error as? SourceError { throw error }
            throw classify(error)
        }
        observer?.attemptFinished(source: sourceName, operation: request.operation, status: response.status, latency: .now - started)
        recordCredentials(status: response.status)
        let retryAfter = response.headers["retry-after"].flatMap { RetryAfter.delay(from: $0, now: time.wallClock) }
        let now = time.elapsed
        if response.status == 429 || (response.status == 503 && retryAfter != nil) {
            let (wasSlowed, window) = pacer.withLock { pacer in
                (pacer.isSlowed(now: now), pacer.rateLimited(retryAfter: retryAfter, backoff: policy.retry, now: now))
            }
            // Said once when the source slows down, not for every 429 of a storm (they are counted in the metrics).
            if !wasSlowed {
                logger.notice(
                    "the platform asks to slow down; source slowed to half its rate",
                    metadata: [
                        "status": "\(response.status)", "window_ms": "\(window.wholeMilliseconds)", "operation": "\(request.operation)",
                    ])
            }
        } else {
            pacer.withLock { $0.accepted() }
        }
        guard RetryPolicy.isRetryable(status: response.status) else { return response }
        let detail = response.bodyExcerpt(redactedBy: redactor)
        if response.status == 429 {
            throw SourceError.rateLimited(detail: detail, retryAfter: retryAfter.map { min($0, policy.retry.maxRetryAfter) })
        }
        throw SourceError.httpStatus(response.status, detail: detail)
    }

    private func admitThroughBreaker() throws(SourceError) {
        let now = time.elapsed
        let (admitted, nextProbe) = breaker.withLock { breaker in (breaker.admit(now: now), breaker.nextProbeAt) }
        guard admitted else {
            observer?.requestRefusedByOpenCircuit(source: sourceName)
            throw .circuitOpen(retryIn: max(.zero, (nextProbe ?? now) - now))
        }
    }

    private func recordCredentials(status: Int) {
        let now = time.elapsed
        if status == 401 || status == 403 {
            let opened = breaker.withLock { breaker -> Bool in
                let wasOpen = breaker.isOpen
                breaker.recordAuthenticationFailure(now: now)
                return !wasOpen && breaker.isOpen
            }
            if opened {
                logger.error(
                    "credentials refused \(policy.authFailureThreshold) times in a row; pausing the source, probing every \(policy.authProbeInterval)"
                )
            }
        } else if status < 500 && status != 429 {
            // Only an answer past authentication proves the credentials work; a gateway's 5xx or a 429 proves nothing.
            let closed = breaker.withLock { breaker -> Bool in
                let wasOpen = breaker.isOpen
                breaker.recordAccepted()
                return wasOpen
            }
            if closed { logger.notice("credentials accepted again; source resumed") }
        }
    }

    /// One attempt on the shared pool, within one deadline (`requestTimeout`) from connect to the last body byte.
    private func perform(_ request: SourceRequest) async throws -> SourceResponse {
        let target = try RequestTarget(url: request.url)
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 4)
        for header in request.headers { headers.add(name: header.name, value: header.value) }
        var body: ByteBuffer?
        if let bytes = request.body {
            body = ByteBuffer(bytes: bytes)
            if !headers.contains(name: "content-type") { headers.add(name: "Content-Type", value: "application/json") }
        }
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "convobridge")
        do {
            let answer = try await http.pool.execute(
                method: HTTPMethod(rawValue: request.method.rawValue), target: target, headers: headers,
                body: body, timeout: policy.requestTimeout, maxBodyBytes: policy.maxResponseBytes)
            return SourceResponse(status: answer.status, headers: SourceResponseHeaders(answer.headers), body: Array(buffer: answer.body))
        } catch HTTP1TransportError.deadlinePassed {
            throw SourceError.timeout(policy.requestTimeout)
        } catch HTTP1TransportError.responseTooLarge(let limit) {
            throw SourceError.responseTooLarge(limit: limit)
        }
    }

    private func classify(_ error: any Error) -> SourceError {
        .transport(redactor.redact(String(describing: error)))
    }
}
