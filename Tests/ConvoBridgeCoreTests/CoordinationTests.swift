import ConvoBridgeCore
import Testing

@Suite("Coordination: Kafka's partitioner, watch and state records, partition ownership")
struct CoordinationTests {
    @Test("murmur2 gives Kafka's values (Utils.murmur2 test vectors, checked against librdkafka's murmur2 partitioner)")
    func murmur2() {
        let vectors: [(String, Int32)] = [
            ("21", -973_932_308), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829), ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            ("abc", 479_470_107),
        ]
        for (key, expected) in vectors {
            #expect(Int32(bitPattern: CoordinationPartitioner.murmur2(Array(key.utf8))) == expected, "\(key)")
        }
        // librdkafka's rd_kafka_msg_partitioner_murmur2 for this key and 64 partitions.
        #expect(CoordinationPartitioner(partitions: 64).partition(source: "jelou-prod", conversationID: "conv-1") == 22)
        #expect(CoordinationPartitioner(partitions: 64).partition(key: [UInt8]()) == 275_646_681 % 64)
    }

    @Test("Partitions spread keys evenly enough and stay in range")
    func spread() {
        let partitioner = CoordinationPartitioner(partitions: 12)
        var counts = [Int](repeating: 0, count: 12)
        for index in 0..<12_000 { counts[Int(partitioner.partition(source: "s", conversationID: "c-\(index)"))] += 1 }
        #expect(counts.allSatisfy { $0 > 800 && $0 < 1200 }, "\(counts)")
    }

    @Test("A watch record round-trips; anything else on the topic is not one")
    func watchRecord() throws {
        let partitioner = CoordinationPartitioner(partitions: 8)
        let watch = WatchRecord(source: "jelou", conversationID: "abc", origin: "discovery", pollNow: true)
        let record = watch.record(topic: "convobridge-watch", partitioner: partitioner)
        #expect(record.partition == partitioner.partition(source: "jelou", conversationID: "abc"))
        #expect(record.key == Array("jelou/abc".utf8))
        #expect(WatchRecord(value: record.value) == watch)
        for hostile in [
            "", "null", "[]", "{\"source\":\"s\"}", "{\"source\":\"\",\"conversation_id\":\"x\"}", "{\"source\":1,\"conversation_id\":\"x\"}",
        ] {
            #expect(WatchRecord(value: Array(hostile.utf8)) == nil, "\(hostile)")
        }
        let long = "{\"source\":\"s\",\"conversation_id\":\"\(String(repeating: "a", count: 200))\"}"
        #expect(WatchRecord(value: Array(long.utf8)) == nil)
        #expect(WatchRecord(value: nil) == nil)
    }

    @Test("A state record carries what a new owner needs, and hostile ones are refused with a reason or clamped")
    func stateRecord() throws {
        let snapshot = ConversationSnapshot(
            conversationID: "c1", platform: .jelou, status: .closed, state: "resolved", endedReason: "user",
            startedAt: Timestamp(millisecondsSinceEpoch: 1_700_000_000_000), assignee: .init(id: "a-1", name: "Ana"))
        let tracked = TrackedConversation(
            source: "jelou", conversationID: "c1", snapshot: snapshot, lastSequence: 41, consecutiveNotFound: 1, consecutiveFailures: 2,
            closedSince: Timestamp(millisecondsSinceEpoch: 1_700_000_100_000), vanished: false,
            lastObservedAt: Timestamp(millisecondsSinceEpoch: 1_700_000_200_000))
        let state = ConversationStateRecord(tracked: tracked, nextPollAt: Timestamp(millisecondsSinceEpoch: 1_700_000_300_000))
        let record = state.record(topic: "convobridge-state", partitioner: CoordinationPartitioner(partitions: 4), observedAt: nil)
        let decoded = try ConversationStateRecord(value: try #require(record.value))
        #expect(decoded == state)

        #expect(throws: ConversationStateRecord.Unreadable.self) { try ConversationStateRecord(value: Array("{".utf8)) }
        #expect(throws: ConversationStateRecord.Unreadable.self) {
            try ConversationStateRecord(value: Array("{\"v\":2,\"source\":\"s\",\"conversation_id\":\"c\",\"last_sequence\":1}".utf8))
        }
        #expect(throws: ConversationStateRecord.Unreadable.self) {
            try ConversationStateRecord(value: Array("{\"v\":1,\"source\":\"s\",\"conversation_id\":\"c\",\"last_sequence\":-5}".utf8))
        }
        let absurd = try ConversationStateRecord(
            value: Array(
                "{\"v\":1,\"source\":\"s\",\"conversation_id\":\"c\",\"last_sequence\":9223372036854775807,\"consecutive_failures\":-3,\"next_poll_at\":1e300,\"closed_since\":\"x\"}"
                    .utf8))
        #expect(absurd.tracked.lastSequence == .max && absurd.tracked.consecutiveFailures == 0 && absurd.tracked.closedSince == nil)
    }

    @Test("Ownership: restored before polled, released when taken away, a fenced partition waits before it is taken up again")
    func ownership() {
        var machine = PartitionOwnershipMachine(reacquireAfterMilliseconds: 10_000, startedAt: 0)
        #expect(!machine.hasRestoredFirstAssignment)
        #expect(machine.assigned([0, 2]) == [.restore(0), .restore(2)])
        #expect(machine.owned.isEmpty && !machine.hasRestoredFirstAssignment)
        #expect(machine.restored(0) == [.startPolling(0)])
        #expect(!machine.hasRestoredFirstAssignment, "not ready while partition 2 restores")
        #expect(machine.restored(2) == [.startPolling(2)])
        #expect(machine.hasRestoredFirstAssignment && machine.owned == [0, 2])

        // A rebalance gives 2 away and 1 in: 0 keeps polling (it stayed ours: nobody else fenced it).
        #expect(machine.assigned([0, 1]) == [.release(2), .restore(1)])
        #expect(machine.owns(0) && !machine.owns(2) && !machine.owns(1))
        #expect(machine.restored(2) == [], "a late report for a partition given away changes nothing")

        // Fenced while the group still says 0 is ours: released now, taken up only after the wait.
        #expect(machine.fenced(0, now: 1000) == [.release(0)])
        #expect(!machine.owns(0))
        #expect(machine.tick(now: 10_999).isEmpty)
        #expect(machine.tick(now: 11_000) == [.restore(0)])
        #expect(machine.restored(0) == [.startPolling(0)])

        // A failed restore waits too; a new assignment takes it up at once.
        #expect(machine.restoreFailed(1, now: 20_000) == [.release(1)])
        #expect(machine.assigned([0, 1]) == [.restore(1)])
        // A replica that loses everything releases everything.
        #expect(machine.assigned([]) == [.release(0), .release(1)], "1 is still restoring: released too")
    }

    @Test("A replica frozen past its session gives every partition up, and takes them up again after the wait")
    func frozen() {
        var machine = PartitionOwnershipMachine(reacquireAfterMilliseconds: 1000, startedAt: 0)
        _ = machine.assigned([1, 2])
        _ = machine.restored(1)
        #expect(machine.frozen(now: 50) == [.release(1), .release(2)])
        #expect(machine.owned.isEmpty)
        #expect(machine.tick(now: 1050) == [.restore(1), .restore(2)])
    }

    @Test("A transaction ends after the last state record: a write's events and its state are never split")
    func transactionBoundary() {
        let state = "convobridge-state"
        #expect(TransactionBoundary.committableCount(of: ["events", "events", "conversation-state", state, "events"], stateTopic: state) == 4)
        #expect(TransactionBoundary.committableCount(of: ["events", "events"], stateTopic: state) == 0, "the write's state is not read yet")
        #expect(TransactionBoundary.committableCount(of: [String](), stateTopic: state) == 0)
        #expect(TransactionBoundary.committableCount(of: ["events", state, "events", state], stateTopic: state) == 4)
    }

    @Test("A replica the group gives nothing is ready after the wait")
    func emptyAssignment() {
        var machine = PartitionOwnershipMachine(reacquireAfterMilliseconds: 5000, startedAt: 100)
        _ = machine.tick(now: 5000)
        #expect(!machine.hasRestoredFirstAssignment)
        _ = machine.tick(now: 5100)
        #expect(machine.hasRestoredFirstAssignment)
    }
}
