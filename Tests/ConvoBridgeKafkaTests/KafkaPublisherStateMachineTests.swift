import ConvoBridgeCore
import Testing

@testable import ConvoBridgeKafka

/// The publisher's decisions on their own: no librdkafka, no thread, time given as values.
@Suite("Publisher state machine")
struct KafkaPublisherStateMachineTests {
    final class FakeClient {}
    typealias Machine = KafkaPublisher.StateMachine<FakeClient>

    static let timing = Machine.Timing(purgeGrace: .seconds(5), recreationDrainLimit: .seconds(10))
    static let cancelled = DeliveryReport(status: .possiblyPersisted, error: "cancelled")
    let start = ContinuousClock.now

    static func persisted(_ offset: Int64) -> DeliveryReport { DeliveryReport(status: .persisted, partition: 0, offset: offset) }

    /// A batch of `count` records, all handed to librdkafka.
    static func enqueued(_ machine: inout Machine, count: Int) throws -> UInt {
        let idStarted = machine.startBatch(count: count)
        let id = try #require(idStarted)
        guard case .enqueue = machine.reserveChunk(count: count) else {
            Issue.record("a running publisher takes records")
            return id
        }
        machine.chunkEnded(reserved: count, enqueued: count)
        return id
    }

    /// What the batch's caller gets when it waits now, resuming whatever the wait makes ready.
    static func collect(
        _ machine: inout Machine, batch: UInt, whileWaiting: (inout Machine) -> [KafkaPublisher.Completion] = { _ in [] }
    ) async
        -> [DeliveryReport]
    {
        await withCheckedContinuation { continuation in
            if let ready = machine.waitForBatch(batch, unreported: cancelled, continuation: continuation) {
                return continuation.resume(returning: ready)
            }
            for completion in whileWaiting(&machine) { completion.resume() }
        }
    }

    static func isServe(_ action: Machine.LoopAction) -> Bool {
        if case .serveEvents = action { return true }
        return false
    }

    @Test("run starts once; not after shutdown began")
    func runOnce() {
        var machine = Machine(client: FakeClient(), timing: Self.timing)
        let result1 = machine.runStarted()
        #expect(result1)
        let result2 = machine.runStarted()
        #expect(!result2)
        var stopped = Machine(client: FakeClient(), timing: Self.timing)
        _ = stopped.shutdownRequested(deadline: start)
        let result3 = stopped.runStarted()
        #expect(!result3)
        let result4 = stopped.startBatch(count: 1)
        #expect(result4 == nil)
    }

    @Test("Reports fill their batch in order; a caller that waits afterwards gets them at once")
    func reportsBeforeWait() async throws {
        var machine = Machine(client: FakeClient(), timing: Self.timing)
        let result5 = machine.runStarted()
        #expect(result5)
        let batch = try Self.enqueued(&machine, count: 3)
        #expect(machine.inFlight == 3)
        // Out of order, as partitions answer.
        let opaques = (0..<3).map { KafkaPublisher.opaque(batch: batch, index: $0) }
        let (completions, _) = machine.deliveryReports([
            (opaques[2], Self.persisted(12)), (opaques[0], Self.persisted(10)), (opaques[1], Self.persisted(11)),
        ])
        #expect(completions.isEmpty, "nobody waits yet")
        #expect(machine.inFlight == 0)
        let reports = await Self.collect(&machine, batch: batch)
        #expect(reports.map(\.offset) == [10, 11, 12])
    }

    @Test("A waiting caller is completed by the batch's last report, not before")
    func waitThenReports() async throws {
        var machine = Machine(client: FakeClient(), timing: Self.timing)
        let batch = try Self.enqueued(&machine, count: 2)
        let reports = await Self.collect(&machine, batch: batch) { machine in
            let (first, _) = machine.deliveryReports([(KafkaPublisher.opaque(batch: batch, index: 0), Self.persisted(1))])
            #expect(first.isEmpty)
            let (second, _) = machine.deliveryReports([
                (
                    KafkaPublisher.opaque(batch: batch, index: 1),
                    DeliveryReport(status: .notPersisted, error: "timed out")
                )
            ])
            #expect(second.count == 1)
            return second
        }
        #expect(reports.map(\.status) == [.persisted, .notPersisted])
        #expect(machine.inFlight == 0)
    }

    @Test("A chunk cut short by a full queue gives back what was neither enqueued nor attempted")
    func queueFull() throws {
        var machine = Machine(client: FakeClient(), timing: Self.timing)
        let started = machine.startBatch(count: 10)
        _ = try #require(started)
        guard case .enqueue(_, let progress) = machine.reserveChunk(count: 10) else {
            Issue.record("not enqueued")
            return
        }
        machine.chunkEnded(reserved: 10, enqueued: 4)
        #expect(machine.inFlight == 4)
        #expect(progress == 0)
    }

    @Test("Waiting for capacity: not when progress moved, when cancelled or shutting down; a delivery wakes the waiter")
    func progressWaits() async throws {
        var machine = Machine(client: FakeClient(), timing: Self.timing)
        let batch = try Self.enqueued(&machine, count: 1)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let result6 = machine.waitForProgress(since: 7, isCancelled: false, continuation: continuation)
            #expect(!result6, "progress already moved")
            continuation.resume()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let result7 = machine.waitForProgress(since: 0, isCancelled: true, continuation: continuation)
            #expect(!result7, "cancelled")
            continuation.resume()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let result8 = machine.waitForProgress(since: 0, isCancelled: false, continuation: continuation)
            #expect(result8)
            let (_, waiters) = machine.deliveryReports([(KafkaPublisher.opaque(batch: batch, index: 0), Self.persisted(0))])
            #expect(waiters.count == 1)
            for waiter in waiters { waiter.resume() }
        }
        _ = machine.shutdownRequested(deadline: start)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let result9 = machine.waitForProgress(since: 1, isCancelled: false, continuation: continuation)
            #expect(!result9, "shutting down")
            continuation.resume()
        }
    }

    @Test("A fatal error: nothing new is produced; an empty old producer is replaced at once, and waiting publishers go on")
    func fatalErrorEmptyProducer() async throws {
        let old = FakeClient()
        let new = FakeClient()
        var machine = Machine(client: old, timing: Self.timing)
        let result10 = machine.runStarted()
        #expect(result10)
        machine.fatalErrorRaised(now: start)
        #expect(machine.acceptsRecords, "callers wait for the new producer rather than fail")
        guard case .wait(let seen) = machine.reserveChunk(count: 1) else {
            Issue.record("produced on a failed producer")
            return
        }
        guard case .replaceProducer(let failing) = machine.nextLoopAction(now: start, queued: { _ in 0 }) else {
            Issue.record("an empty failed producer is replaced at once")
            return
        }
        #expect(failing.isEmpty)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let result11 = machine.waitForProgress(since: seen, isCancelled: false, continuation: continuation)
            #expect(result11)
            let waiters = machine.producerReplaced(by: new)
            #expect(waiters.count == 1)
            for waiter in waiters { waiter.resume() }
        }
        guard case .enqueue(let client, let progress) = machine.reserveChunk(count: 1) else {
            Issue.record("not running again")
            return
        }
        #expect(client === new)
        #expect(progress == seen + 1)
        guard case .running = machine.state else {
            Issue.record("not running after the replacement")
            return
        }
    }

    @Test("A fatal error with records in flight: drained for the limit, then purged, then given up after the grace")
    func fatalErrorDrainPurgeGiveUp() async throws {
        let old = FakeClient()
        var machine = Machine(client: old, timing: Self.timing)
        let result12 = machine.runStarted()
        #expect(result12)
        let batch = try Self.enqueued(&machine, count: 2)
        _ = machine.deliveryReports([(KafkaPublisher.opaque(batch: batch, index: 0), Self.persisted(5))])
        machine.fatalErrorRaised(now: start)
        let held: (FakeClient) -> Int = { _ in 1 }
        #expect(Self.isServe(machine.nextLoopAction(now: start + .seconds(9), queued: held)), "still draining")
        guard case .purge(let client, let outstanding, _) = machine.nextLoopAction(now: start + .seconds(11), queued: held) else {
            Issue.record("no purge after the drain limit")
            return
        }
        #expect(client === old)
        #expect(outstanding == 1)
        #expect(Self.isServe(machine.nextLoopAction(now: start + .seconds(15), queued: held)), "within the purge grace")
        let reports = await Self.collect(&machine, batch: batch) { machine in
            guard case .replaceProducer(let failing) = machine.nextLoopAction(now: start + .seconds(17), queued: held) else {
                Issue.record("not given up after the grace")
                return []
            }
            return failing
        }
        #expect(reports.map(\.status) == [.persisted, .possiblyPersisted], "what librdkafka never reported may have reached the broker")
        #expect(machine.inFlight == 0)
        // Making the new producer failed: the machine asks again, with nothing left to purge.
        guard case .replaceProducer(let failing) = machine.nextLoopAction(now: start + .seconds(18), queued: held) else {
            Issue.record("the replacement is not asked for again")
            return
        }
        #expect(failing.isEmpty)
    }

    @Test("Shutdown: nothing new accepted; delivered by the deadline, or purged at it and given up after the grace")
    func drainToDeadline() async throws {
        var machine = Machine(client: FakeClient(), timing: Self.timing)
        let result13 = machine.runStarted()
        #expect(result13)
        let batch = try Self.enqueued(&machine, count: 1)
        _ = machine.shutdownRequested(deadline: start + .seconds(10))
        _ = machine.shutdownRequested(deadline: start + .seconds(3))
        _ = machine.shutdownRequested(deadline: start + .seconds(30))
        let result14 = machine.startBatch(count: 1)
        #expect(result14 == nil)
        guard case .shutDown = machine.reserveChunk(count: 1) else {
            Issue.record("a draining publisher took records")
            return
        }
        let held: (FakeClient) -> Int = { _ in 1 }
        #expect(Self.isServe(machine.nextLoopAction(now: start + .seconds(2), queued: held)))
        guard case .purge = machine.nextLoopAction(now: start + .seconds(3), queued: held) else {
            Issue.record("the earliest deadline did not win")
            return
        }
        #expect(Self.isServe(machine.nextLoopAction(now: start + .seconds(7), queued: held)))
        let reports = await Self.collect(&machine, batch: batch) { machine in
            guard case .stop(let finish) = machine.nextLoopAction(now: start + .seconds(9), queued: held) else {
                Issue.record("not stopped after the grace")
                return []
            }
            return finish.completions
        }
        #expect(reports.map(\.status) == [.possiblyPersisted])
        #expect(machine.inFlight == 0, "given up on")
        #expect(!machine.acceptsRecords)
        guard case .finished = machine.state else {
            Issue.record("not finished")
            return
        }
    }

    @Test("Shutdown with nothing held stops at once and hands back run()'s continuation; a fatal error then replaces nothing")
    func drainEmpty() async {
        let client = FakeClient()
        var machine = Machine(client: client, timing: Self.timing)
        let result15 = machine.runStarted()
        #expect(result15)
        await withCheckedContinuation { (run: CheckedContinuation<Void, Never>) in
            let result16 = machine.waitForEventLoop(run)
            #expect(result16)
            _ = machine.shutdownRequested(deadline: start + .seconds(30))
            machine.fatalErrorRaised(now: start)
            guard case .draining = machine.state else {
                Issue.record("a fatal error during shutdown left the drain")
                return run.resume()
            }
            guard case .stop(let finish) = machine.nextLoopAction(now: start, queued: { _ in 0 }) else {
                Issue.record("an empty publisher did not stop")
                return run.resume()
            }
            #expect(finish.completions.isEmpty && finish.waiters.isEmpty)
            finish.runFinished?.resume()
        }
        guard case .finished(let books) = machine.state, books.client === client else {
            Issue.record("the producer was replaced after the drain")
            return
        }
    }

    @Test("A cancelled caller: completed at once with what is known, later reports ignored")
    func abandon() async throws {
        var machine = Machine(client: FakeClient(), timing: Self.timing)
        let batch = try Self.enqueued(&machine, count: 2)
        _ = machine.deliveryReports([(KafkaPublisher.opaque(batch: batch, index: 0), Self.persisted(3))])
        // Cancelled before it waited: marked, and its wait returns at once.
        let result17 = machine.abandon(batch: batch, unreported: Self.cancelled)
        #expect(result17 == nil)
        let reports = await Self.collect(&machine, batch: batch)
        #expect(reports.map(\.status) == [.persisted, .possiblyPersisted])
        let (late, _) = machine.deliveryReports([(KafkaPublisher.opaque(batch: batch, index: 1), Self.persisted(4))])
        #expect(late.isEmpty)
    }

    @Test("Records never handed to librdkafka are reported not persisted")
    func unsent() async throws {
        var machine = Machine(client: FakeClient(), timing: Self.timing)
        let batchStarted = machine.startBatch(count: 3)
        let batch = try #require(batchStarted)
        let result18 = machine.failUnsent(batch: batch, from: 0, to: 3, reason: "publish cancelled")
        #expect(result18 == nil, "nobody waits yet")
        let reports = await Self.collect(&machine, batch: batch)
        #expect(reports.map(\.status) == [.notPersisted, .notPersisted, .notPersisted])
        #expect(reports.allSatisfy { $0.error == "publish cancelled" })
        #expect(machine.inFlight == 0)
    }
}
