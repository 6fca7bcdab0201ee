import ConvoBridgeCore

extension KafkaPublisher {
    /// Everything the publisher decides, with no librdkafka call in it: each event is a mutating method that returns
    /// what the caller must do (resume these continuations, purge that client, make a new producer), so the shell
    /// does the I/O outside the lock and the machine is unit-tested on its own.
    ///
    /// `Client` is the producer handle (``RDKafkaClient`` in the publisher, any object in tests).
    struct StateMachine<Client: AnyObject> {
        enum State {
            /// Created; records are accepted and wait for ``KafkaPublisher/run()`` to serve their reports.
            case idle(Books)
            case running(Books)
            /// A fatal error since `since`: nothing new is produced while the old producer delivers what it holds;
            /// when it is empty (or gave up, `recreationDrainLimit` after `since`, with a purge) a new one replaces it.
            case replacingProducer(Books, since: ContinuousClock.Instant, purgedAt: ContinuousClock.Instant?)
            /// Shutting down: nothing new is accepted; what librdkafka holds is delivered until `deadline`, then purged.
            case draining(Books, deadline: ContinuousClock.Instant, purgedAt: ContinuousClock.Instant?)
            /// The event loop ended. Batches stay until their callers collect them.
            case finished(Books)
            /// Only while an event mutates the books in place (no copy of the batches).
            case modifying
        }

        private(set) var state: State
        let timing: Timing

        /// How long each step of a give-up waits.
        struct Timing {
            /// After a purge, how long to wait for the purged records' reports before failing them ourselves.
            var purgeGrace: Duration
            /// How long an old producer may drain after a fatal error before what it holds is purged.
            var recreationDrainLimit: Duration
        }

        init(client: Client, timing: Timing) {
            state = .idle(Books(client: client))
            self.timing = timing
        }

        // MARK: Publishing

        /// A `publish` call starts: its batch id, or nil when the publisher no longer accepts records.
        mutating func startBatch(count: Int) -> UInt? {
            guard acceptsRecords else { return nil }
            return withBooks { books in
                let id = books.nextBatchID
                books.nextBatchID += 1
                books.batches[id] = Batch(count: count)
                return id
            }
        }

        /// A publisher is about to hand `count` records to librdkafka.
        mutating func reserveChunk(count: Int) -> EnqueueAttempt {
            switch state {
            case .idle, .running:
                return withBooks { books in
                    books.inFlight += count
                    return .enqueue(client: books.client, progress: books.progress)
                }
            case .replacingProducer(let books, _, _):
                // The progress seen here, in the same lock as the check, is what the wait compares against.
                return .wait(progress: books.progress)
            case .draining, .finished:
                return .shutDown
            case .modifying:
                preconditionFailure("the state machine is never left modifying")
            }
        }

        /// A chunk reserved by ``reserveChunk(count:)`` is done: `enqueued` were handed to librdkafka; the rest of the
        /// `reserved` were resolved at once or not attempted (a full queue).
        mutating func chunkEnded(reserved: Int, enqueued: Int) {
            withBooks { books in books.inFlight -= reserved - enqueued }
        }

        /// One record's report, from librdkafka or decided here; the batch's completion when it was the last one
        /// and its caller waits.
        mutating func record(_ report: DeliveryReport, batch: UInt, index: Int) -> Completion? {
            withBooks { $0.record(report, batch: batch, index: index) }
        }

        /// Records `start..<end` of `batch` were never handed to librdkafka.
        mutating func failUnsent(batch: UInt, from start: Int, to end: Int, reason: String) -> Completion? {
            withBooks { books in
                var completion: Completion?
                for index in start..<end {
                    completion = books.record(DeliveryReport(status: .notPersisted, error: reason), batch: batch, index: index) ?? completion
                }
                return completion
            }
        }

        /// The caller of `batch` waits for its reports: returns them when they are all known (or the caller was
        /// cancelled before it waited), otherwise keeps the continuation for the last report to resume.
        mutating func waitForBatch(
            _ id: UInt, unreported: DeliveryReport,
            continuation: CheckedContinuation<[DeliveryReport], Never>
        ) -> [DeliveryReport]? {
            withBooks { books in
                guard var batch = books.batches[id] else { preconditionFailure("a batch is removed only by its caller") }
                if batch.remaining == 0 || batch.abandoned {
                    books.batches.removeValue(forKey: id)
                    return batch.completedReports(unreported: unreported)
                }
                batch.continuation = continuation
                books.batches[id] = batch
                return nil
            }
        }

        /// The caller of `batch` was cancelled; see ``Books/abandon(batch:unreported:)``.
        mutating func abandon(batch: UInt, unreported: DeliveryReport) -> Completion? {
            withBooks { $0.abandon(batch: batch, unreported: unreported) }
        }

        /// A publisher waits for capacity (or a new producer) since it saw `progress`: false when it must not
        /// wait (it already changed, the publisher stopped accepting records, or the task is cancelled).
        mutating func waitForProgress(since progress: UInt64, isCancelled: Bool, continuation: CheckedContinuation<Void, Never>) -> Bool {
            guard acceptsRecords, !isCancelled else { return false }
            return withBooks { books in
                guard books.progress == progress else { return false }
                books.waiters.append(continuation)
                return true
            }
        }

        /// Every publisher waiting for progress, to be resumed (each checks again why it waited).
        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            withBooks { books in
                defer { books.waiters.removeAll() }
                return books.waiters
            }
        }

        /// Delivery reports from librdkafka, keyed by their opaque: the completions of the batches they finish,
        /// and the publishers waiting for capacity.
        mutating func deliveryReports(_ reports: [(opaque: UInt, report: DeliveryReport)]) -> ([Completion], [CheckedContinuation<Void, Never>]) {
            withBooks { books in
                var completions: [Completion] = []
                for (opaque, report) in reports {
                    let (batch, index) = KafkaPublisher.batchAndIndex(opaque)
                    // Clamped: a report arriving after a give-up was already counted out.
                    books.inFlight = max(0, books.inFlight - 1)
                    if let completion = books.record(report, batch: batch, index: index) { completions.append(completion) }
                }
                books.progress &+= 1
                defer { books.waiters.removeAll() }
                return (completions, books.waiters)
            }
        }

        // MARK: Lifecycle

        /// `run()` starts; false when it was called before, or after shutdown began.
        mutating func runStarted() -> Bool {
            guard case .idle(let books) = state else { return false }
            state = .running(books)
            return true
        }

        /// `run()` waits for the event loop to end.
        mutating func waitForEventLoop(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
            if case .finished = state { return false }
            withBooks { $0.runFinished = continuation }
            return true
        }

        /// Shutdown was asked for, to end by `deadline` (an earlier deadline wins). Returns the waiting publishers to
        /// resume (they stop at once) and the client to wake.
        mutating func shutdownRequested(deadline: ContinuousClock.Instant) -> (waiters: [CheckedContinuation<Void, Never>], client: Client) {
            switch state {
            case .idle(let books), .running(let books), .replacingProducer(let books, _, _):
                state = .draining(books, deadline: deadline, purgedAt: nil)
            case .draining(let books, let current, let purgedAt):
                state = .draining(books, deadline: min(current, deadline), purgedAt: purgedAt)
            case .finished:
                break
            case .modifying:
                preconditionFailure("the state machine is never left modifying")
            }
            return (takeWaiters(), client)
        }

        /// librdkafka raised a fatal error at `now`. While shutting down there is nothing to replace the producer
        /// for: what it holds is reported or purged as the shutdown goes.
        mutating func fatalErrorRaised(now: ContinuousClock.Instant) {
            guard case .running(let books) = state else { return }
            state = .replacingProducer(books, since: now, purgedAt: nil)
        }

        /// A new producer replaces the one that failed: the publishers waiting for it, to be resumed.
        mutating func producerReplaced(by client: Client) -> [CheckedContinuation<Void, Never>] {
            guard case .replacingProducer(var books, _, _) = state else { return [] }
            state = .modifying
            books.client = client
            books.progress &+= 1
            defer {
                books.waiters.removeAll()
                state = .running(books)
            }
            return books.waiters
        }

        /// What the event loop does next, at `now`, given how many records `queued` says the client still holds.
        mutating func nextLoopAction(now: ContinuousClock.Instant, queued: (Client) -> Int) -> LoopAction {
            switch state {
            case .idle(let books), .running(let books), .finished(let books):
                return .serveEvents(books.client)
            case .replacingProducer(let books, let since, let purgedAt):
                if books.inFlight == 0 && queued(books.client) == 0 { return .replaceProducer(failing: []) }
                guard now - since > timing.recreationDrainLimit else { return .serveEvents(books.client) }
                let reason = "producer replaced after a fatal error"
                switch purgeStep(purgedAt: purgedAt, now: now, reason: reason) {
                case .purge(let outstanding):
                    state = .replacingProducer(books, since: since, purgedAt: now)
                    return .purge(books.client, outstanding: outstanding, reason: reason)
                case .wait:
                    return .serveEvents(books.client)
                case .gaveUp(let completions):
                    return .replaceProducer(failing: completions)
                }
            case .draining(let books, let deadline, let purgedAt):
                if books.inFlight == 0 && queued(books.client) == 0 { return .stop(finish(failing: [])) }
                guard now >= deadline else { return .serveEvents(books.client) }
                let reason = "shutdown deadline passed"
                switch purgeStep(purgedAt: purgedAt, now: now, reason: reason) {
                case .purge(let outstanding):
                    state = .draining(books, deadline: deadline, purgedAt: now)
                    return .purge(books.client, outstanding: outstanding, reason: reason)
                case .wait:
                    return .serveEvents(books.client)
                case .gaveUp(let completions):
                    return .stop(finish(failing: completions))
                }
            case .modifying:
                preconditionFailure("the state machine is never left modifying")
            }
        }

        // MARK: Reading

        /// The producer in use.
        var client: Client { books.client }

        /// Records handed to librdkafka whose report has not arrived.
        var inFlight: Int { books.inFlight }

        var acceptsRecords: Bool {
            switch state {
            case .idle, .running, .replacingProducer: return true
            case .draining, .finished: return false
            case .modifying: preconditionFailure("the state machine is never left modifying")
            }
        }

        // MARK: Internals

        private enum PurgeStep {
            case purge(outstanding: Int)
            case wait
            case gaveUp([Completion])
        }

        /// First a purge; `purgeGrace` after it, whatever librdkafka still owes is failed here.
        private mutating func purgeStep(purgedAt: ContinuousClock.Instant?, now: ContinuousClock.Instant, reason: String) -> PurgeStep {
            guard let purgedAt else { return .purge(outstanding: books.inFlight) }
            guard now - purgedAt > timing.purgeGrace else { return .wait }
            // librdkafka owed us reports it did not send: the records may have reached the broker.
            return .gaveUp(
                withBooks { books in
                    books.inFlight = 0
                    return books.failAllUnreported(DeliveryReport(status: .possiblyPersisted, error: reason))
                })
        }

        private mutating func finish(failing completions: [Completion]) -> Finish {
            guard case .draining(var books, _, _) = state else { preconditionFailure("only a drain finishes") }
            state = .modifying
            assert(books.batches.values.allSatisfy { $0.continuation == nil }, "every waiting caller has its reports before the loop ends")
            let finish = Finish(completions: completions, waiters: books.waiters, runFinished: books.runFinished)
            books.waiters.removeAll()
            books.runFinished = nil
            state = .finished(books)
            return finish
        }

        private var books: Books {
            switch state {
            case .idle(let books), .running(let books), .replacingProducer(let books, _, _), .draining(let books, _, _), .finished(let books):
                return books
            case .modifying:
                preconditionFailure("the state machine is never left modifying")
            }
        }

        /// Mutates the books of whatever state holds them, in place.
        private mutating func withBooks<Result>(_ body: (inout Books) -> Result) -> Result {
            switch state {
            case .idle(var books):
                state = .modifying
                defer { state = .idle(books) }
                return body(&books)
            case .running(var books):
                state = .modifying
                defer { state = .running(books) }
                return body(&books)
            case .replacingProducer(var books, let since, let purgedAt):
                state = .modifying
                defer { state = .replacingProducer(books, since: since, purgedAt: purgedAt) }
                return body(&books)
            case .draining(var books, let deadline, let purgedAt):
                state = .modifying
                defer { state = .draining(books, deadline: deadline, purgedAt: purgedAt) }
                return body(&books)
            case .finished(var books):
                state = .modifying
                defer { state = .finished(books) }
                return body(&books)
            case .modifying:
                preconditionFailure("the state machine is never left modifying")
            }
        }

        /// What a publisher may do next with its batch.
        enum EnqueueAttempt {
            case enqueue(client: Client, progress: UInt64)
            /// The producer is being replaced; wait for `progress` to change.
            case wait(progress: UInt64)
            case shutDown
        }

        /// What the event loop does next.
        enum LoopAction {
            /// Wait for librdkafka's next event on this client (or the poll timeout), then ask again.
            case serveEvents(Client)
            /// Purge what this client holds; `outstanding` records have no report yet.
            case purge(Client, outstanding: Int, reason: String)
            /// The failed producer is empty, or was given up on (these completions failed): make a new one.
            case replaceProducer(failing: [Completion])
            /// The drain is over: resume these, and end the loop.
            case stop(Finish)
        }

        /// The bookkeeping every state carries: the producer, and the batches awaiting reports.
        struct Books {
            var client: Client
            var nextBatchID: UInt = 1
            /// Records handed to librdkafka whose report has not arrived.
            var inFlight = 0
            var batches: [UInt: Batch] = [:]
            /// Bumped whenever capacity may have freed up (deliveries, a new client): publishers waiting on a full
            /// queue compare it to what they saw, so a wake-up between their attempt and their wait is not lost.
            var progress: UInt64 = 0
            var waiters: [CheckedContinuation<Void, Never>] = []
            var runFinished: CheckedContinuation<Void, Never>?

            init(client: Client) { self.client = client }

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

    /// What is left to resume when the event loop ends.
    struct Finish {
        var completions: [Completion]
        var waiters: [CheckedContinuation<Void, Never>]
        var runFinished: CheckedContinuation<Void, Never>?
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

    /// The reports of one `publish` call, filled in as they arrive.
    struct Batch {
        var reports: [DeliveryReport?]
        var remaining: Int
        var continuation: CheckedContinuation<[DeliveryReport], Never>?
        /// Set when the caller stopped waiting before every report arrived; later reports are ignored.
        var abandoned = false

        init(count: Int) {
            reports = Array(repeating: nil, count: count)
            remaining = count
        }

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
}
