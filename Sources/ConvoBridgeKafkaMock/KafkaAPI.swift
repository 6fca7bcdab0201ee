/// A Kafka protocol request type, to target fault injection.
public enum KafkaAPI: Int16, Sendable, Hashable {
    case produce = 0
    case fetch = 1
    case metadata = 3
}
