/// What the broker said about one published record.
public struct DeliveryReport: Sendable, Hashable {
    /// Whether the record is known to be durably stored.
    public enum Status: String, Sendable, Hashable {
        /// Acknowledged by the broker (with `acks=all`, by every in-sync replica).
        case persisted
        /// Sent but not acknowledged (e.g. timed out in flight): it may or may not be stored. Publish again;
        /// a consumer recognises the duplicate by its identical `ce_id`.
        case possiblyPersisted = "possibly_persisted"
        /// Never stored; safe to publish again.
        case notPersisted = "not_persisted"
        /// Refused for good (larger than the broker accepts, or invalid): the same bytes will never be stored.
        case refused
    }

    public var status: Status
    public var partition: Int32?
    /// The record's offset in its partition, when persisted.
    public var offset: Int64?
    /// Why the record was not persisted, free of secrets.
    public var error: String?

    public init(status: Status, partition: Int32? = nil, offset: Int64? = nil, error: String? = nil) {
        self.status = status
        self.partition = partition
        self.offset = offset
        self.error = error
    }
}
