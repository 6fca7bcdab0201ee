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
    /// The bootstrap servers in use.
    public let bootstrapServers: String

    private let configuration: KafkaPublisherConfiguration
    private let producerProperties: [(String, String)]
    private let logger: Logger
    private let redactor: SecretRedactor
    private let observer: (any KafkaPublisherObserver)?
    private let state: Mutex<StateMachine<RDKafkaClient>>

    private static let eventMask = RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_LOG
    /// How long a blocked poll waits before looking at shutdown and recreation state; events end the wait at once.
    private static let pollTimeoutMilliseconds: Int32 = 100
    private static let timing = StateMachine<RDKafkaClient>.Timing(purgeGrace: .seconds(5), recreationDrainLimit: .seconds(10))

    /// Creates the publisher and its librdkafka producer.
    /// - Parameters:
    ///   - configuration: connection, timeouts and pass-through properties.
    ///   - redactor: secrets to keep out of logs (e.g. the SASL password); secret-named properties are added.
    ///   - logger: receives the publisher's and librdkafka's logs.
    ///   - observer: told about queue-full waits, fatal errors and producer replacements.
    /// - Throws: ``KafkaError`` naming the property librdkafka rejected, or a property that would weaken the
    ///   no-loss guarantee.
    public init(
        configuration: KafkaPublisherConfiguration,
        redactor: SecretRedactor = SecretRedactor(),
        logger: Logger,
        observer: (any KafkaPublisherObserver)? = nil
    ) throws {
        var redactor = redactor
        for (name, value) in configuration.properties where SecretRedactor.isSecretKey(name) {
            redactor.register(value)
        }
        let bootstrap = configuration.bootstrapServers
        let properties = try configuration.producerProperties(bootstrap: bootstrap)
        let client = try RDKafkaClient(kind: .producer, properties: properties, events: Self.eventMask)
        self.bootstrapServers = bootstrap
        self.configuration = configuration
        self.producerProperties = properties
        self.logger = logger
        self.redactor = redactor
        self.observer = observer
        self.state = Mutex(StateMachine(client: client, timing: Self.timing))
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
        guard let batchID = state.withLock({ $0.startBatch(count: records.count) }) else { throw Self.shutDownError }
        var index = 0
        /// Keys of records librdkafka did not take: their later records in this call are not sent either.
        var refusedKeys: Set<[UInt8]> = []
        var topics = RDKafkaClient.TopicCache()
        var lastClient: RDKafkaClient?
        while index < records.count {
            // One lock per chunk, not per record: the state checked here changes rarely.
            let chunkEnd = min(index + Self.enqueueChunk, records.count)
            let attempt = state.withLock { $0.reserveChunk(count: chunkEnd - index) }
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
                    resolve(
                        batch: batchID, index: index,
                        report: DeliveryReport(status: .notPersisted, error: "an earlier record of its key was not accepted"))
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
            let queueFull = if case .queueFull = blocked { true } else { false }
            state.withLock { state in state.chunkEnded(reserved: chunkEnd - chunkStart, enqueued: index - chunkStart - refused) }
            if queueFull { observer?.publisherWaitedForQueueSpace() }
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
                let ready = state.withLock { $0.waitForBatch(batchID, unreported: Self.cancelledReport, continuation: continuation) }
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

    /// Records handed to librdkafka whose delivery report has not arrived yet.
    public var recordsInFlight: Int {
        state.withLock { $0.inFlight }
    }

    // MARK: - Service

    /// Serves librdkafka's events until shutdown; see the type's documentation.
    public func run() async throws {
        guard state.withLock({ $0.runStarted() }) else {
            throw KafkaError(code: .shutDown, message: "run() was called twice, or after shutdown")
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    guard state.withLock({ $0.waitForEventLoop(continuation) }) else { return continuation.resume() }
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
        return
            (try? await BlockingWork.run {
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
        let (waiters, client) = state.withLock { $0.shutdownRequested(deadline: deadline) }
        for waiter in waiters { waiter.resume() }
        client.wake()
    }

    /// Waits until capacity may have freed up, the publisher stops accepting records, or the task is cancelled.
    private func waitForProgress(since progress: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Checked under the lock the cancellation handler takes, so a cancellation is never missed.
                let waits = state.withLock { $0.waitForProgress(since: progress, isCancelled: Task.isCancelled, continuation: continuation) }
                if !waits { continuation.resume() }
            }
        } onCancel: {
            // Waking every waiter is harmless: each one checks again why it waits.
            for waiter in state.withLock({ $0.takeWaiters() }) { waiter.resume() }
        }
    }

    private func resolve(batch: UInt, index: Int, report: DeliveryReport) {
        let completion = state.withLock { state in state.record(report, batch: batch, index: index) }
        completion?.resume()
    }

    private func failUnsent(batch: UInt, from start: Int, count: Int, reason: String) {
        state.withLock { $0.failUnsent(batch: batch, from: start, to: count, reason: reason) }?.resume()
    }

    /// The event loop, on its own thread. Ends when shutdown has delivered or given up on everything.
    private func serveEvents() {
        var reports: [(opaque: UInt, report: DeliveryReport)] = []
        loop: while true {
            let action = state.withLock { $0.nextLoopAction(now: .now, queued: { Int($0.outQueueLength) }) }
            switch action {
            case .serveEvents(let client):
                serveOneEvent(client: client, reports: &reports)
            case .purge(let client, let outstanding, let reason):
                logger.warning(
                    "Purging records Kafka has not acknowledged", metadata: ["kafka.outstanding": "\(outstanding)", "reason": "\(reason)"])
                _ = rd_kafka_purge(client.handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
            case .replaceProducer(let failing):
                for completion in failing { completion.resume() }
                do {
                    let client = try RDKafkaClient(kind: .producer, properties: producerProperties, events: Self.eventMask)
                    for waiter in state.withLock({ $0.producerReplaced(by: client) }) { waiter.resume() }
                    observer?.publisherReplacedProducer()
                    logger.notice("Kafka producer recreated after a fatal error")
                } catch {
                    logger.error("Could not recreate the Kafka producer; retrying", metadata: ["error": "\(error)"])
                    // Served meanwhile, so the retry waits one poll timeout instead of spinning.
                    serveOneEvent(client: state.withLock { $0.client }, reports: &reports)
                }
            case .stop(let finish):
                for completion in finish.completions { completion.resume() }
                for waiter in finish.waiters { waiter.resume() }
                logger.info("Kafka publisher stopped", metadata: ["kafka.in_flight": "\(recordsInFlight)"])
                finish.runFinished?.resume()
                break loop
            }
        }
    }

    /// Waits up to the poll timeout for one librdkafka event on `client`'s queue and handles it.
    private func serveOneEvent(client: RDKafkaClient, reports: inout [(opaque: UInt, report: DeliveryReport)]) {
        guard let event = rd_kafka_queue_poll(client.queue, Self.pollTimeoutMilliseconds) else { return }
        handle(event: event, client: client, reports: &reports)
        rd_kafka_event_destroy(event)
    }

    private func handle(event: OpaquePointer, client: RDKafkaClient, reports: inout [(opaque: UInt, report: DeliveryReport)]) {
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
            state.withLock { $0.fatalErrorRaised(now: .now) }
            observer?.publisherFatalError()
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

    private func handleDeliveryReports(event: OpaquePointer, reports: inout [(opaque: UInt, report: DeliveryReport)]) {
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
        let (completions, waiters) = state.withLock { $0.deliveryReports(reports) }
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
