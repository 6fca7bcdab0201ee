import ConvoBridgeCore
import Testing

@Suite("Webhook handoff: the record another replica's webhook becomes, and the offsets its forwarding may commit")
struct WebhookHandoffTests {
    static let event = NativeEvent(
        platform: .jelou, name: "conversation.close", conversationID: "conv-7",
        occurredAt: Timestamp(millisecondsSinceEpoch: 1_780_000_000_000), payload: .object(["reason": .string("closed_by_operator")]))

    @Test("A handoff record round-trips on its conversation's partition, keyed like its events")
    func roundTrip() throws {
        let partitioner = CoordinationPartitioner(partitions: 24)
        let handoff = WebhookHandoffRecord(
            source: "jelou-prod", event: Self.event, bodyDigest: [0x00, 0xab, 0xff, 0x10],
            receivedAt: Timestamp(millisecondsSinceEpoch: 1_780_000_000_500))
        let record = handoff.record(topic: "convobridge-handoff", partitioner: partitioner)
        #expect(record.partition == partitioner.partition(source: "jelou-prod", conversationID: "conv-7"))
        #expect(record.key == Array("jelou-prod/conv-7".utf8))
        #expect(record.timestamp == 1_780_000_000_500)
        #expect(try WebhookHandoffRecord(value: record.value) == handoff)
        var noTime = handoff
        noTime.event.occurredAt = nil
        #expect(try WebhookHandoffRecord(value: noTime.record(topic: "t", partitioner: partitioner).value) == noTime)
    }

    @Test(
        "Anything else on the handoff topic is refused with its reason",
        arguments: [
            (nil, "a tombstone"),
            ("not json", "not JSON"),
            (#"{"v":2}"#, "unknown handoff record version 2"),
            (
                #"{"v":1,"source":"s","conversation_id":"","platform":"jelou","name":"n","received_at":1,"body_digest":"00"}"#,
                "no source or conversation_id"
            ),
            (#"{"v":1,"source":"s","conversation_id":"c","platform":"zendesk","name":"n","received_at":1,"body_digest":"00"}"#, "no known platform"),
            (#"{"v":1,"source":"s","conversation_id":"c","platform":"jelou","name":"","received_at":1,"body_digest":"00"}"#, "no event name"),
            (#"{"v":1,"source":"s","conversation_id":"c","platform":"jelou","name":"n","received_at":9e30,"body_digest":"00"}"#, "received_at"),
            (
                #"{"v":1,"source":"s","conversation_id":"c","platform":"jelou","name":"n","received_at":-99999999999999,"body_digest":"00"}"#,
                "received_at"
            ),
            (#"{"v":1,"source":"s","conversation_id":"c","platform":"jelou","name":"n","received_at":1,"body_digest":"0g"}"#, "body_digest"),
            (#"{"v":1,"source":"s","conversation_id":"c","platform":"jelou","name":"n","received_at":1,"body_digest":"abc"}"#, "body_digest"),
        ] as [(String?, String)])
    func refused(value: String?, reason: String) {
        #expect {
            _ = try WebhookHandoffRecord(value: value.map { Array($0.utf8) })
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test("An absurd occurred_at is dropped, not trusted; a record over the size limit is refused unread")
    func hostileValues() throws {
        let value =
            #"{"v":1,"source":"s","conversation_id":"c","platform":"jelou","name":"n","occurred_at":99999999999999999,"received_at":1,"body_digest":""}"#
        #expect(try WebhookHandoffRecord(value: Array(value.utf8)).event.occurredAt == nil)
        let huge = [UInt8](repeating: UInt8(ascii: " "), count: WebhookHandoffRecord.maxValueBytes + 1)
        #expect(throws: WebhookHandoffRecord.Unreadable.self) { _ = try WebhookHandoffRecord(value: huge) }
        // The largest body a replica group accepts, JSON with escapes, fits one record under the default message.max.bytes.
        let text = String(repeating: "a\\\"\\u00e9", count: WebhookHandoffRecord.maxBodyBytes / 12)
        let body = Array(#"{"text":"\#(text)"}"#.utf8)
        #expect(body.count <= WebhookHandoffRecord.maxBodyBytes)
        var largest = WebhookHandoffRecord(
            source: "s", event: Self.event, bodyDigest: [UInt8](repeating: 7, count: 32), receivedAt: Timestamp(millisecondsSinceEpoch: 1))
        largest.event.payload = try JSONParser.parse(body)
        #expect(largest.record(topic: "t", partitioner: CoordinationPartitioner(partitions: 1)).value?.count ?? .max < 1_000_000)
    }

    @Test("Progress: an applied record is committable by the transaction that publishes its write, and only by it")
    func progress() {
        var progress = HandoffProgress()
        #expect(progress.committable(partition: 3, publishedThrough: nil) == nil)
        progress.applied(partition: 3, nextOffset: 11, outboxThrough: 100)
        progress.applied(partition: 3, nextOffset: 12, outboxThrough: nil)  // a repeated body: wrote nothing
        progress.applied(partition: 3, nextOffset: 13, outboxThrough: 110)
        progress.applied(partition: 4, nextOffset: 1, outboxThrough: 101)
        #expect(progress.waitingPartitions == [3, 4])
        // Offsets only, or rows before the first write: nothing is covered (in order: 12 waits behind 11).
        #expect(progress.committable(partition: 3, publishedThrough: nil) == nil)
        #expect(progress.committable(partition: 3, publishedThrough: 99) == nil)
        // Through the first write's last row: it and the record that wrote nothing after it.
        #expect(progress.committable(partition: 3, publishedThrough: 105) == 12)
        #expect(progress.committable(partition: 3, publishedThrough: 110) == 13)
        progress.committed(partition: 3, through: 12)
        #expect(progress.committable(partition: 3, publishedThrough: 109) == nil)
        #expect(progress.committable(partition: 3, publishedThrough: 200) == 13)
        progress.committed(partition: 3, through: 13)
        #expect(progress.waitingPartitions == [4])
        progress.forget(partition: 4)
        #expect(progress.waitingPartitions.isEmpty)
        progress.applied(partition: 5, nextOffset: 1, outboxThrough: nil)
        #expect(progress.committable(partition: 5, publishedThrough: nil) == 1, "a skipped record commits with offsets alone")
        progress.forgetAll()
        #expect(progress.committable(partition: 5, publishedThrough: nil) == nil)
    }

    @Test("Cursor: each offset is forwarded once; a restore goes back to the committed offset and reads again what was not committed")
    func cursor() {
        var cursor = HandoffCursor()
        #expect(cursor.restored(partition: 0, committed: nil) == nil, "nothing read yet: the consumer starts at the committed offset")
        #expect((0..<5).map { cursor.received(partition: 0, offset: $0) } == Array(repeating: .forward, count: 5))
        // The consumer goes back after a rebalance: what this replica forwarded is skipped.
        #expect(cursor.received(partition: 0, offset: 3) == .skip)
        #expect(cursor.received(partition: 0, offset: 5) == .forward)
        // Fenced, then taken up again without a rebalance; offsets 0 and 1 were committed.
        #expect(cursor.restored(partition: 0, committed: 2) == 2..<6)
        #expect((2..<6).map { cursor.received(partition: 0, offset: $0) } == Array(repeating: .forward, count: 4))
        #expect(cursor.received(partition: 0, offset: 4) == .skip, "the consumer's copy of a record read again")
        #expect(cursor.received(partition: 0, offset: 6) == .forward)
        // Another partition is independent; a restore at the replica's own position reads nothing again.
        #expect(cursor.received(partition: 1, offset: 40) == .forward)
        #expect(cursor.restored(partition: 1, committed: 41) == nil)
        #expect(cursor.received(partition: 1, offset: 40) == .skip)
    }
}
