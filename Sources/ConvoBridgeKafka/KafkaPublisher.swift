public import ConvoBridgeCore
import Crdkafka
public import Logging
public import ServiceLifecycle
import Synchronization

/// Publishes records to Kafka through librdkafka, losing nothing.
///
/// - Idempotent producer with `acks=all` and a long `message.timeout.ms`; librdkafka retries, never the app.
/// - Delivery reports, errors and librdkafka's logs arrive as *events* on the client's main queue, served by a
///   dedicated thread blocked in `rd_kafka_queue_poll`: a report is handled the moment it exists (no fixed
///   polling lag), and no librdkafka thread ever calls into Swift.
/// - ``publish(_:)`` enqueues a batch in order and returns, per record, its persistence status and offset.
/// - A full librdkafka queue is back-pressure: `publish` waits for deliveries, it never drops or fails.
/// - A record Kafka refuses for good (too large, invalid) is reported ``DeliveryReport/Status/refused``; the later
///   records of its key in the same call are not sent. A cancelled `publish` returns at once; what Kafka has not
///   answered yet is reported not (or possibly) persisted.
/// - A fatal producer error is logged, the old producer is drained and a new one created; every record gets
///   exactly one report.
/// - Graceful shutdown keeps serving the event queue until everything queued is delivered or
///   ``KafkaPublisherConfiguration/shutdownDeadline`` passes, then purges and reports what is left.
///
/// - Important: ``run()`` must be running (normally inside a `ServiceGroup`) for publishes to complete.
public final class KafkaPublisher: Service, RecordPublisher, Sendable {
    /// The bootstrap servers in use; the embedded cluster's address when configured with `"embedded"`.
    public let bootstrapServers: String
    /// The in-process cluster started for `bootstrapServers: embedded`, if any.
    public let embeddedCluster: EmbeddedKafkaCluster?

    private let configuration: KafkaPublisherConfiguration
    private let producerProperties: [(String, String)]
    private let logger: Logger
    private let redactor: SecretRedactor
    private let state: Mutex<State>

    private static let eventMask = RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_LOG
    /// How long a blocked poll waits before looking at shutdown and recreation state; events end the wait at once.
    private static let pollTimeoutMilliseconds: Int32 = 100
    /// After a purge, how long to wait for the purged records' reports before failing them ourselves.
    private static let purgeGrace: Duration = .seconds(5)
    /// How long an old producer may drain after a fatal error before what it holds is purged.
    private static let recreationDrainLimit: Duration = .seconds(10)

    /// Creates the publisher and its librdkafka producer.
    /// - Parameters:
    ///   - configuration: connection, timeouts and pass-through properties.
    ///   - redactor: secrets to keep out of logs (e.g. the SASL password); secret-named properties are added.
    ///   - logger: receives the publisher's and librdkafka's logs.
    /// - Throws: ``KafkaError`` naming the property librdkafka rejected, or a property that would weaken the
    ///   no-loss guarantee.
    public init(
        configuration: KafkaPublisherConfiguration,
        redactor: SecretRedactor = SecretRedactor(),
        logger: Logger
    ) throws {
        var redactor = redactor
        for (name, value) in configuration.properties where SecretRedactor.isSecretKey(name) {
            redactor.register(value)
        }
        let cluster: EmbeddedKafkaCluster?
        if configuration.bootstrapServers == KafkaPublisherConfiguration.embeddedBootstrap {
            cluster = try EmbeddedKafkaCluster(brokers: configuration.embeddedBrokers)
        } else {
            cluster = nil
        }
        let bootstrap = cluster?.bootstrapServers ?? configuration.bootstrapServers
        let properties = try configuration.producerProperties(bootstrap: bootstrap)
        let client = try RDKafkaClient(kind: .producer, properties: properties, events: Self.eventMask)
        self.bootstrapServers = bootstrap
        self.embeddedCluster = cluster
        self.configuration = configuration
        self.producerProperties = properties
        self.logger = logger
        self.redactor = redactor
        self.state = Mutex(State(client: client))
        logger.info(
            "Kafka publisher created",
            metadata: [
                "kafka.bootstrap": "\(bootstrap)",
                "kafka.librdkafka": "\(RDKafkaConfig.string(rd_kafka_version_str()))",
            ]
        )
    }

    // MARK: - Publishing

    /// Publishes `records` in order and waits for the broker's verdict on each.
    ///
    /// Records of one call are enqueued in the order given, so records with the same key land in their partition
    /// in that order. When librdkafka's queue is full the call waits for capacity.
    ///
    /// - Returns: one ``DeliveryReport`` per record, in the order given.
    /// - Throws: ``KafkaError/Code/shutDown`` when the publisher no longer accepts records; none was sent.
    public func publish(_ records: [OutboundRecord]) async throws -> [DeliveryReport] {
        guard !records.isEmpty else { return [] }
        precondition(records.count <= Int(UInt32.max), "a batch holds at most 2^32-1 records")
        let batchID = try state.withLock { state throws(KafkaError) in
            guard state.acceptsRecords else { throw Self.shutDownError }
            let id = state.nextBatchID
            state.nextBatchID += 1
            state.batches[id] = Batch(count: records.count)
            return id
        }
        var index = 0
        /// Keys of records librdkafka did not take: their later records in this call are not sent either.
        var refusedKeys: Set<[UInt8]> = []
        var topics = RDKafkaClient.TopicCache()
        var lastClient: RDKafkaClient?
        while index < records.count {
            // One lock per chunk, not per record: the state checked here changes rarely.
            let chunkEnd = min(index + Self.enqueueChunk, records.count)
            let attempt = state.withLock { state -> EnqueueAttempt in
                guard state.acceptsRecords else { return .shutDown }
                // The progress seen here, in the same lock as the check, is what the wait compares against.
                guard !state.recreating else { return .wait(progress: state.progress) }
                state.inFlight += chunkEnd - index
                return .enqueue(client: state.client, progress: state.progress)
            }
            let client: RDKafkaClient
            let progress: UInt64
            switch attempt {
            case .shutDown:
                // What was not handed to librdkafka was never sent.
                failUnsent(batch: batchID, from: index, count: records.count, reason: "publisher shut down first")
                index = records.count
                continue
            case .wait(let seen):
                await waitForProgress(since: seen)
                if Task.isCancelled {
                    failUnsent(batch: batchID, from: index, count: records.count, reason: "publish cancelled")
                    index = records.count
                }
                continue
            case .enqueue(let current, let seen):
                client = current
                progress = seen
            }
            if topics.handle != nil, client !== lastClient { topics = RDKafkaClient.TopicCache() }
            lastClient = client
            var blocked: RDKafkaClient.ProduceResult?
            var refused = 0
            let chunkStart = index
            while index < chunkEnd {
                if !refusedKeys.isEmpty, let key = records[index].key, refusedKeys.contains(key) {
                    // Sending it would put it in its partition before the record that failed ahead of it.
                    refused += 1
                    resolve(batch: batchID, index: index, report: DeliveryReport(status: .notPersisted, error: "an earlier record of its key was not accepted"))
                    index += 1
                    continue
                }
                let result = client.produce(records[index], opaque: Self.opaque(batch: batchID, index: index), topics: &topics)
                if case .enqueued = result {
                    index += 1
                    continue
                }
                if case .failed(let reason, let permanent) = result {
                    refused += 1
                    if let key = records[index].key { refusedKeys.insert(key) }
                    resolve(batch: batchID, index: index, report: DeliveryReport(status: permanent ? .refused : .notPersisted, error: reason))
                    index += 1
                    continue
                }
                blocked = result
                break
            }
            state.withLock { state in
                state.inFlight -= chunkEnd - index + refused
                state.statistics.enqueued += UInt64(index - chunkStart - refused)
                state.statistics.failed += UInt64(refused)
                if case .queueFull = blocked { state.statistics.queueFullWaits += 1 }
            }
            if blocked != nil {
                await waitForProgress(since: progress)
                if Task.isCancelled {
                    // Not handed to librdkafka: never sent.
                    failUnsent(batch: batchID, from: index, count: records.count, reason: "publish cancelled")
                    index = records.count
                }
            }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> [DeliveryReport]? in
                    guard var batch = state.batches[batchID] else { preconditionFailure("a batch is removed only by its caller") }
                    if batch.remaining == 0 || batch.abandoned {
                        state.batches.removeValue(forKey: batchID)
                        return batch.completedReports(unreported: Self.cancelledReport)
                    }
                    batch.continuation = continuation
                    state.batches[batchID] = batch
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            // The caller stops waiting; records still in librdkafka may yet be delivered, so they are reported as
            // possibly persisted: the caller keeps them and publishes them again (same bytes, same `ce_id`).
            let completion = state.withLock { state in state.abandon(batch: batchID, unreported: Self.cancelledReport) }
            completion?.resume()
        }
    }

    private static let cancelledReport = DeliveryReport(status: .possiblyPersisted, error: "publish cancelled before Kafka answered")

    /// Counters since creation.
    public var statistics: KafkaPublisherStatistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.inFlight = state.inFlight
            return statistics
        }
    }

    // MARK: - Service

    /// Serves librdkafka's events until shutdown; see the type's documentation.
    public func run() async throws {
        let starts = state.withLock { state -> Bool in
            guard case .idle = state.phase else { return false }
            state.phase = .running
            return true
        }
        guard starts else {
            throw KafkaError(code: .shutDown, message: "run() was called twice, or after shutdown")
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    state.withLock { $0.runFinished = continuation }
                    BlockingWork.start(name: "convobridge-kafka-events") { self.serveEvents() }
                }
            } onCancel: {
                self.beginShutdown(deadline: .now)
            }
        } onGracefulShutdown: {
            self.beginShutdown(deadline: .now + self.configuration.shutdownDeadline)
        }
    }

    /// Whether a broker answers a metadata request within `timeout`: the readiness probe's "producer connected".
    public func isConnected(timeout: Duration = .seconds(2)) async -> Bool {
        let client = state.withLock { $0.client }
        let milliseconds = Int32(clamping: timeout.wholeMilliseconds)
        return (try? await BlockingWork.run(name: "convobridge-kafka-probe") {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(client.handle, 0, nil, &metadata, milliseconds)
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            return error == RD_KAFKA_RESP_ERR_NO_ERROR
        }) ?? false
    }

    /// Raises a fatal error in the producer, as librdkafka would on a broken idempotence guarantee.
    package func injectFatalErrorForTesting() {
        let client = state.withLock { $0.client }
        _ = rd_kafka_test_fatal_error(client.handle, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "injected by test")
    }

    // MARK: - Internals

    private static let shutDownError = KafkaError(code: .shutDown, message: "the publisher is shutting down")

    private func beginShutdown(deadline: ContinuousClock.Instant) {
        let (waiters, client) = state.withLock { state -> ([CheckedContinuation<Void, Never>], RDKafkaClient) in
            switch state.phase {
            case .idle, .running:
                state.phase = .draining(deadline: deadline)
            case .draining(let current):
                state.phase = .draining(deadline: min(current, deadline))
            case .finished:
                break
            }
            defer { state.waiters.removeAll() }
            return (state.waiters, state.client)
        }
        for waiter in waiters { waiter.resume() }
        client.wake()
    }

    /// Waits until capacity may have freed up, the publisher stops accepting records, or the task is cancelled.
    private func waitForProgress(since progress: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    // Checked under the lock the cancellation handler takes, so a cancellation is never missed.
                    if state.progress != progress || !state.acceptsRecords || Task.isCancelled { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            // Waking every waiter is harmless: each one checks again why it waits.
            let waiters = state.withLock { state in
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    private func resolve(batch: UInt, index: Int, report: DeliveryReport) {
        let completion = state.withLock { state in state.record(report, batch: batch, index: index) }
        completion?.resume()
    }

    private func failUnsent(batch: UInt, from start: Int, count: Int, reason: String) {
        let completion = state.withLock { state -> Completion? in
            var completion: Completion?
            for index in start..<count {
                state.statistics.failed += 1
                completion = state.record(DeliveryReport(status: .notPersisted, error: reason), batch: batch, index: index)
            }
            return completion
        }
        completion?.resume()
    }

    /// The event loop, on its own thread. Ends when shutdown has delivered or given up on everything.
    private func serveEvents() {
        var reports: [(UInt, DeliveryReport)] = []
        var purgedAt: ContinuousClock.Instant?
        var recreationStartedAt: ContinuousClock.Instant?
        while true {
            let client = state.withLock { $0.client }
            if let event = rd_kafka_queue_poll(client.queue, Self.pollTimeoutMilliseconds) {
                handle(event: event, client: client, reports: &reports)
                rd_kafka_event_destroy(event)
            }
            let (phase, recreating, pendingCount) = state.withLock { ($0.phase, $0.recreating, $0.inFlight) }
            let now = ContinuousClock.now

            if recreating {
                let started = recreationStartedAt ?? now
                recreationStartedAt = started
                if pendingCount == 0 && client.outQueueLength == 0 {
                    recreateClient()
                    recreationStartedAt = nil
                    purgedAt = nil
                } else if now - started > Self.recreationDrainLimit {
                    purgeOrGiveUp(client: client, purgedAt: &purgedAt, now: now, reason: "producer replaced after a fatal error")
                }
                continue
            }
            guard case .draining(let deadline) = phase else { continue }
            if pendingCount == 0 && client.outQueueLength == 0 { break }
            if now >= deadline {
                if purgeOrGiveUp(client: client, purgedAt: &purgedAt, now: now, reason: "shutdown deadline passed") { break }
            }
        }
        let (completions, waiters, finished) = state.withLock { state in
            state.phase = .finished
            let completions = state.batches.values.compactMap(\.continuation)
            defer {
                state.waiters.removeAll()
                state.runFinished = nil
            }
            return (completions, state.waiters, state.runFinished)
        }
        assert(completions.isEmpty, "every pending record must have been reported before the loop ends")
        for waiter in waiters { waiter.resume() }
        logger.info("Kafka publisher stopped", metadata: ["kafka.statistics": "\(statistics)"])
        finished?.resume()
    }

    /// Purges what librdkafka holds; after ``purgeGrace`` without reports, fails the rest ourselves.
    /// - Returns: true when nothing is pending any more.
    @discardableResult
    private func purgeOrGiveUp(
        client: RDKafkaClient,
        purgedAt: inout ContinuousClock.Instant?,
        now: ContinuousClock.Instant,
        reason: String
    ) -> Bool {
        guard let purged = purgedAt else {
            let outstanding = state.withLock { $0.inFlight }
            logger.warning(
                "Purging records Kafka has not acknowledged",
                metadata: ["kafka.outstanding": "\(outstanding)", "reason": "\(reason)"]
            )
            _ = rd_kafka_purge(client.handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
            purgedAt = now
            return false
        }
        guard now - purged > Self.purgeGrace else { return false }
        // librdkafka owed us reports it did not send: the records may have reached the broker.
        let completions = state.withLock { state -> [Completion] in
            state.statistics.failed += UInt64(state.inFlight)
            state.inFlight = 0
            return state.failAllUnreported(DeliveryReport(status: .possiblyPersisted, error: reason))
        }
        for completion in completions { completion.resume() }
        return true
    }

    private func recreateClient() {
        do {
            let client = try RDKafkaClient(kind: .producer, properties: producerProperties, events: Self.eventMask)
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.client = client
                state.recreating = false
                state.progress &+= 1
                state.statistics.recreations += 1
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
            logger.notice("Kafka producer recreated after a fatal error")
        } catch {
            logger.error("Could not recreate the Kafka producer; retrying", metadata: ["error": "\(error)"])
        }
    }

    private func handle(event: OpaquePointer, client: RDKafkaClient, reports: inout [(UInt, DeliveryReport)]) {
        switch rd_kafka_event_type(event) {
        case RD_KAFKA_EVENT_DR:
            handleDeliveryReports(event: event, reports: &reports)
        case RD_KAFKA_EVENT_ERROR:
            let code = rd_kafka_event_error(event)
            let text = redactor.redact(RDKafkaConfig.string(rd_kafka_event_error_string(event)))
            guard rd_kafka_event_error_is_fatal(event) != 0 else {
                logger.warning("Kafka client error", metadata: ["kafka.error": "\(RDKafkaConfig.errorName(code))", "detail": "\(text)"])
                return
            }
            var buffer = [CChar](repeating: 0, count: 512)
            let underlying = rd_kafka_fatal_error(client.handle, &buffer, buffer.count)
            logger.error(
                "Kafka producer fatal error: draining it and creating a new one",
                metadata: [
                    "kafka.error": "\(RDKafkaConfig.errorName(underlying))",
                    "detail": "\(redactor.redact(RDKafkaConfig.string(buffer: buffer)))",
                ]
            )
            state.withLock { state in
                state.statistics.fatalErrors += 1
                state.recreating = true
            }
        case RD_KAFKA_EVENT_LOG:
            var facility: UnsafePointer<CChar>?
            var text: UnsafePointer<CChar>?
            var level: Int32 = 0
            guard rd_kafka_event_log(event, &facility, &text, &level) == 0 else { return }
            let facilityName = RDKafkaConfig.string(facility)
            let message = redactor.redact(RDKafkaConfig.string(text))
            var logLevel = Self.logLevel(syslog: level)
            // librdkafka flags `enable.gapless.guarantee` as experimental on every start; the operator did not set
            // it and cannot act on the warning, so it is kept for debugging only.
            if facilityName == "CONFWARN", configuration.ownDefaults.contains(where: { message.contains($0) }) {
                logLevel = .debug
            }
            logger.log(level: logLevel, "\(message)", metadata: ["kafka.facility": "\(facilityName)"])
        default:
            break
        }
    }

    private func handleDeliveryReports(event: OpaquePointer, reports: inout [(UInt, DeliveryReport)]) {
        let count = rd_kafka_event_message_count(event)
        guard count > 0 else { return }
        reports.removeAll(keepingCapacity: true)
        var messages = [UnsafePointer<rd_kafka_message_t>?](repeating: nil, count: count)
        let filled = rd_kafka_event_message_array(event, &messages, count)
        for message in messages.prefix(filled) {
            guard let message else { continue }
            let opaque = UInt(bitPattern: message.pointee._private)
            let error = message.pointee.err
            let report: DeliveryReport
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                report = DeliveryReport(status: .persisted, partition: message.pointee.partition, offset: message.pointee.offset)
            } else {
                let status: DeliveryReport.Status
                switch rd_kafka_message_status(message) {
                case RD_KAFKA_MSG_STATUS_PERSISTED: status = .persisted
                case RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED: status = .possiblyPersisted
                default: status = RDKafkaClient.refusesRecordForGood(error) ? .refused : .notPersisted
                }
                report = DeliveryReport(
                    status: status,
                    partition: message.pointee.partition >= 0 ? message.pointee.partition : nil,
                    offset: status == .persisted && message.pointee.offset >= 0 ? message.pointee.offset : nil,
                    error: RDKafkaConfig.errorName(error)
                )
            }
            reports.append((opaque, report))
        }
        let (completions, waiters) = state.withLock { state -> ([Completion], [CheckedContinuation<Void, Never>]) in
            var completions: [Completion] = []
            for (opaque, report) in reports {
                let (batch, index) = Self.batchAndIndex(opaque)
                // Clamped: a report arriving after a give-up was already counted out.
                state.inFlight = max(0, state.inFlight - 1)
                if report.status == .persisted {
                    state.statistics.persisted += 1
                } else {
                    state.statistics.failed += 1
                }
                if let completion = state.record(report, batch: batch, index: index) {
                    completions.append(completion)
                }
            }
            state.progress &+= 1
            defer { state.waiters.removeAll() }
            return (completions, state.waiters)
        }
        for completion in completions { completion.resume() }
        for waiter in waiters { waiter.resume() }
    }

    private static func logLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        case ...2: return .critical
        case 3: return .error
        case 4: return .warning
        case 5: return .notice
        case 6: return .info
        default: return .debug
        }
    }
}

// MARK: - State

extension KafkaPublisher {
    /// What a publisher may do next with its batch.
    enum EnqueueAttempt {
        case enqueue(client: RDKafkaClient, progress: UInt64)
        /// The producer is being replaced; wait for `progress` to change.
        case wait(progress: UInt64)
        case shutDown
    }

    /// Records handed to librdkafka per lock acquisition.
    static let enqueueChunk = 256

    /// A record's delivery-report opaque: its batch in the high 32 bits, its index in the low ones, so a report
    /// finds its slot without a lookup table. Batch ids start at 1, so the opaque is never null.
    static func opaque(batch: UInt, index: Int) -> UInt {
        batch << 32 | UInt(index)
    }

    static func batchAndIndex(_ opaque: UInt) -> (batch: UInt, index: Int) {
        (opaque >> 32, Int(opaque & 0xFFFF_FFFF))
    }

    struct Batch {
        var reports: [DeliveryReport?]
        var remaining: Int
        var continuation: CheckedContinuation<[DeliveryReport], Never>?

        init(count: Int) {
            reports = Array(repeating: nil, count: count)
            remaining = count
        }

        /// Set when the caller stopped waiting before every report arrived; later reports are ignored.
        var abandoned = false

        var completedReports: [DeliveryReport] { reports.map { $0! } }

        func completedReports(unreported: DeliveryReport) -> [DeliveryReport] { reports.map { $0 ?? unreported } }

        /// Stores a report in place; returns how many are still missing, or nil when this one was already known.
        mutating func store(_ report: DeliveryReport, at index: Int) -> Int? {
            guard reports[index] == nil else { return nil }
            reports[index] = report
            remaining -= 1
            return remaining
        }
    }

    /// A finished batch whose caller is waiting; resumed outside the lock.
    struct Completion {
        var continuation: CheckedContinuation<[DeliveryReport], Never>
        var reports: [DeliveryReport]

        func resume() { continuation.resume(returning: reports) }
    }

    struct State {
        enum Phase {
            case idle
            case running
            case draining(deadline: ContinuousClock.Instant)
            case finished
        }

        var phase: Phase = .idle
        var client: RDKafkaClient
        /// Set by a fatal error until a new client replaces the old one; nothing is produced meanwhile.
        var recreating = false
        var nextBatchID: UInt = 1
        /// Records handed to librdkafka whose report has not arrived.
        var inFlight = 0
        var batches: [UInt: Batch] = [:]
        /// Bumped whenever capacity may have freed up (deliveries, a new client): publishers waiting on a full
        /// queue compare it to what they saw, so a wake-up between their attempt and their wait is not lost.
        var progress: UInt64 = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var runFinished: CheckedContinuation<Void, Never>?
        var statistics = KafkaPublisherStatistics()

        init(client: RDKafkaClient) { self.client = client }

        var acceptsRecords: Bool {
            switch phase {
            case .idle, .running: return true
            case .draining, .finished: return false
            }
        }

        /// Reports `report` for every record that has none yet; for records librdkafka never reported.
        mutating func failAllUnreported(_ report: DeliveryReport) -> [Completion] {
            var completions: [Completion] = []
            for (id, batch) in batches {
                for index in batch.reports.indices where batch.reports[index] == nil {
                    if let completion = record(report, batch: id, index: index) { completions.append(completion) }
                }
            }
            return completions
        }

        /// The caller of `batch` was cancelled: completes it now with `unreported` for what librdkafka has not
        /// reported, or marks it so that the caller completes it itself when it has not started waiting yet.
        mutating func abandon(batch id: UInt, unreported: DeliveryReport) -> Completion? {
            guard var batch = batches[id] else { return nil }
            guard let continuation = batch.continuation else {
                batch.abandoned = true
                batches[id] = batch
                return nil
            }
            batches.removeValue(forKey: id)
            return Completion(continuation: continuation, reports: batch.completedReports(unreported: unreported))
        }

        /// Stores one report; returns the batch's completion when it was the last one and its caller waits.
        mutating func record(_ report: DeliveryReport, batch id: UInt, index: Int) -> Completion? {
            // Mutated through the dictionary in place: copying a batch out would copy its reports per record.
            guard let remaining = batches[id]?.store(report, at: index), remaining == 0,
                batches[id]?.continuation != nil
            else { return nil }
            let batch = batches.removeValue(forKey: id)!
            return Completion(continuation: batch.continuation!, reports: batch.completedReports)
        }
    }
}
