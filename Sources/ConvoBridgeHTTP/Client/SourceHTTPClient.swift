import AsyncHTTPClient
public import ConvoBridgeCore
public import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends one source's requests through the shared pool, politely: a token-bucket rate limit and a concurrency cap,
/// retries with exponential backoff and full jitter (honouring `Retry-After`) for 429/502/503/504, connect errors
/// and timeouts, and a circuit breaker that pauses the source after repeated 401/403.
///
/// Time comes from an injected ``TimeSource``, so tests drive backoff and rate limits without sleeping. Error
/// texts and log lines go through the source's ``SecretRedactor``; headers are never logged.
public final class SourceHTTPClient: Sendable {
    public let sourceName: String
    public let policy: SourceHTTPPolicy
    private let http: SharedHTTPClient
    private let time: TimeSource
    private let redactor: SecretRedactor
    private let logger: Logger
    private let bucket: Mutex<TokenBucket>
    private let breaker: Mutex<CircuitBreaker>
    private let random: Mutex<SplitMix64>
    private let counters = Mutex(SourceHTTPStatistics())
    private let permits: AsyncSemaphore
    private let observer: (any SourceHTTPObserver)?

    public init(
        sourceName: String,
        http: SharedHTTPClient,
        policy: SourceHTTPPolicy = SourceHTTPPolicy(),
        time: TimeSource,
        redactor: SecretRedactor,
        logger: Logger,
        observer: (any SourceHTTPObserver)? = nil,
        randomSeed: UInt64 = UInt64.random(in: .min ... .max)
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
        self.bucket = Mutex(TokenBucket(rate: policy.requestsPerSecond, burst: policy.burst, now: time.elapsed))
        self.breaker = Mutex(CircuitBreaker(failureThreshold: policy.authFailureThreshold, probeInterval: policy.authProbeInterval))
        self.random = Mutex(SplitMix64(seed: randomSeed))
        self.permits = AsyncSemaphore(permits: policy.maxConcurrentRequests)
    }

    /// Counters since start.
    public var statistics: SourceHTTPStatistics { counters.withLock { $0 } }

    /// Whether the credentials are being refused (the circuit is open).
    public var isPaused: Bool { breaker.withLock { $0.isOpen } }

    /// Sends `request`, retrying what is worth retrying, and returns the first answer that is final: a success or
    /// a status the caller must interpret (404, 400, 500…). 401/403 feed the circuit breaker and are returned too.
    ///
    /// - Throws: ``SourceError`` (`.circuitOpen`, `.transport`, `.timeout`, `.responseTooLarge`, `.rateLimited`
    ///   or `.httpStatus` when retries ran out), or `CancellationError`.
    public func send(_ request: SourceRequest) async throws -> SourceResponse {
        var retry = 0
        while true {
            try Task.checkCancellation()
            try admitThroughBreaker()
            let wait = bucket.withLock { $0.reserve(now: time.elapsed) }
            try await time.sleep(for: wait)
            counters.withLock { $0.requests += 1 }

            let failure: SourceError
            var retryAfter: Duration?
            let started = ContinuousClock.now
            do {
                let response = try await permits.withPermit { try await perform(request) }
                observer?.attemptFinished(source: sourceName, operation: request.operation, status: response.status, latency: .now - started)
                recordCredentials(status: response.status)
                guard RetryPolicy.isRetryable(status: response.status) else { return response }
                if response.status == 429 { counters.withLock { $0.rateLimitedResponses += 1 } }
                retryAfter = response.headers["retry-after"].flatMap { RetryAfter.delay(from: $0, now: time.wallClock) }
                let detail = redactor.redact(response.bodyExcerpt())
                failure = response.status == 429 ? .rateLimited(detail: detail) : .httpStatus(response.status, detail: detail)
            } catch let error as SourceError {
                observer?.attemptFinished(source: sourceName, operation: request.operation, status: nil, latency: .now - started)
                guard case .timeout = error else { throw error }
                failure = error
            } catch let error as CancellationError {
                throw error
            } catch {
                observer?.attemptFinished(source: sourceName, operation: request.operation, status: nil, latency: .now - started)
                failure = classify(error)
            }

            retry += 1
            let delay = random.withLock { policy.retry.delay(beforeRetry: retry, retryAfter: retryAfter, using: &$0) }
            guard let delay else {
                counters.withLock { $0.failures += 1 }
                throw failure
            }
            counters.withLock { $0.retries += 1 }
            observer?.retrying(source: sourceName, operation: request.operation)
            logger.notice("retrying \(request.operation)", metadata: [
                "attempt": "\(retry + 1)", "delay_ms": "\(delay.wholeMilliseconds)", "reason": "\(redactor.redact(failure.description))",
            ])
            try await time.sleep(for: delay)
        }
    }

    private func admitThroughBreaker() throws(SourceError) {
        let now = time.elapsed
        let (admitted, nextProbe) = breaker.withLock { breaker in (breaker.admit(now: now), breaker.nextProbeAt) }
        guard admitted else {
            counters.withLock { $0.circuitOpenRefusals += 1 }
            throw .circuitOpen(retryIn: max(.zero, (nextProbe ?? now) - now))
        }
    }

    private func recordCredentials(status: Int) {
        let now = time.elapsed
        if status == 401 || status == 403 {
            counters.withLock { $0.authFailures += 1 }
            let opened = breaker.withLock { breaker -> Bool in
                let wasOpen = breaker.isOpen
                breaker.recordAuthenticationFailure(now: now)
                return !wasOpen && breaker.isOpen
            }
            if opened {
                logger.error("credentials refused \(policy.authFailureThreshold) times in a row; pausing the source, probing every \(policy.authProbeInterval)")
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

    private func perform(_ request: SourceRequest) async throws -> SourceResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if let body = request.body {
            outgoing.body = .bytes(ByteBuffer(bytes: body))
            if !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                outgoing.headers.add(name: "Content-Type", value: "application/json")
            }
        }
        outgoing.headers.add(name: "Accept", value: "application/json")
        outgoing.headers.add(name: "User-Agent", value: "convobridge")
        let timeout = TimeAmount.milliseconds(policy.requestTimeout.wholeMilliseconds)
        do {
            let response = try await http.client.execute(outgoing, timeout: timeout)
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: policy.maxResponseBytes)
            } catch is NIOTooManyBytesError {
                throw SourceError.responseTooLarge(limit: policy.maxResponseBytes)
            }
            var headers: [String: String] = [:]
            for (name, value) in response.headers { headers[name.lowercased()] = value }
            return SourceResponse(status: Int(response.status.code), headers: headers, body: Array(buffer: body))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw SourceError.timeout(policy.requestTimeout)
        }
    }

    private func classify(_ error: any Error) -> SourceError {
        counters.withLock { $0.transportFailures += 1 }
        return .transport(redactor.redact(String(describing: error)))
    }
}
