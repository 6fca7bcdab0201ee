/// The partition of a conversation on the coordination topics: Kafka's default partitioner (murmur2 of the key,
/// made positive, modulo the partition count), computed here rather than left to a client, so that every replica,
/// and any Java or librdkafka producer keyed the same way, agrees on who owns which conversation.
public struct CoordinationPartitioner: Sendable, Hashable {
    public let partitions: Int32

    public init(partitions: Int32) {
        precondition(partitions > 0, "a partition count is positive")
        self.partitions = partitions
    }

    /// The partition of a conversation (key `{source}/{conversation_id}`).
    public func partition(source: String, conversationID: String) -> Int32 {
        partition(key: Array(ConversationEvent.key(source: source, conversationID: conversationID).utf8))
    }

    public func partition(key: some Collection<UInt8>) -> Int32 {
        Int32(bitPattern: Self.murmur2(key) & 0x7fff_ffff) % partitions
    }

    /// Kafka's `Utils.murmur2` (seed 0x9747b28c), on unsigned 32-bit arithmetic.
    public static func murmur2(_ data: some Collection<UInt8>) -> UInt32 {
        let bytes = Array(data)
        let m: UInt32 = 0x5bd1_e995
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: bytes.count)
        let whole = bytes.count / 4
        for index in 0..<whole {
            let base = index * 4
            var k = UInt32(bytes[base]) | UInt32(bytes[base + 1]) << 8 | UInt32(bytes[base + 2]) << 16 | UInt32(bytes[base + 3]) << 24
            k &*= m
            k ^= k >> 24
            k &*= m
            h &*= m
            h ^= k
        }
        let tail = whole * 4
        switch bytes.count % 4 {
        case 3:
            h ^= UInt32(bytes[tail + 2]) << 16
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h &*= m
        case 2:
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h &*= m
        case 1:
            h ^= UInt32(bytes[tail])
            h &*= m
        default:
            break
        }
        h ^= h >> 13
        h &*= m
        h ^= h >> 15
        return h
    }
}
