import ConvoBridgeCore
import ConvoBridgeKafka
import Testing

/// Checks of what came back from Kafka against what was published.
enum DeliveryCheck {
    /// Every published record arrived exactly once, byte for byte, and per key in publication order.
    static func exactlyOnceInOrder(published: [OutboundRecord], consumed: [ConsumedRecord]) {
        #expect(consumed.count == published.count, "consumed \(consumed.count) of \(published.count)")
        var byID: [String: ConsumedRecord] = [:]
        for record in consumed {
            let id = record.header("ce_id") ?? "?"
            #expect(byID[id] == nil, "duplicate \(id)")
            byID[id] = record
        }
        for record in published {
            let id = record.header("ce_id")!
            guard let received = byID[id] else {
                Issue.record("lost \(id)")
                continue
            }
            #expect(received.key == record.key)
            #expect(received.value == record.value)
            #expect(received.headers == record.headers)
        }
        contiguousPerKey(consumed)
    }

    /// The first copy of each record, in partition and offset order; a later copy (a producer retry the broker did
    /// not recognize) must be identical to the first, `ce_id`, key and bytes.
    static func firstCopies(_ consumed: [ConsumedRecord]) -> [ConsumedRecord] {
        var firstCopies: [ConsumedRecord] = []
        var seen: [String: ConsumedRecord] = [:]
        for record in consumed.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            let id = record.header("ce_id") ?? "?"
            if let earlier = seen[id] {
                #expect(
                    earlier.value == record.value && earlier.key == record.key && earlier.headers == record.headers,
                    "duplicate \(id) differs from its original")
            } else {
                seen[id] = record
                firstCopies.append(record)
            }
        }
        return firstCopies
    }

    /// In each partition, each key's sequence numbers go 1, 2, 3… with no gap, and a key stays on one partition.
    static func contiguousPerKey(_ consumed: [ConsumedRecord]) {
        var partitionOfKey: [String: Int32] = [:]
        var lastSequence: [String: Int] = [:]
        for record in consumed.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            let key = record.keyString ?? ""
            if let partition = partitionOfKey[key] {
                #expect(partition == record.partition, "key \(key) moved partitions")
            }
            partitionOfKey[key] = record.partition
            let sequence = Int(record.header("ce_sequence") ?? "") ?? -1
            #expect(sequence == (lastSequence[key] ?? 0) + 1, "key \(key): \(sequence) after \(lastSequence[key] ?? 0)")
            lastSequence[key] = sequence
        }
    }
}
