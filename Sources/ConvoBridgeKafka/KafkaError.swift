/// An error from the Kafka adapter. Messages never carry secret values: configuration values of secret
/// properties are masked, and librdkafka's text is passed through the publisher's redactor.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        package init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A property was rejected by librdkafka or would break the no-loss guarantee.
        public static let invalidConfiguration = Code("invalid configuration")
        /// librdkafka could not create a client.
        public static let clientCreation = Code("client creation failed")
        /// The publisher has shut down (or is shutting down) and accepts no more records.
        public static let shutDown = Code("publisher shut down")
        /// A record could not be enqueued for a reason that waiting will not fix (e.g. too large).
        public static let produce = Code("produce failed")
        /// Topic metadata could not be fetched.
        public static let metadata = Code("metadata request failed")
        /// Consuming failed.
        public static let consume = Code("consume failed")
        /// The offset asked for is not in the partition's log (removed, or past its end).
        public static let offsetOutOfRange = Code("offset out of range")
        /// A transaction could not be begun or committed; it was aborted and may be tried again.
        public static let transaction = Code("transaction failed")
        /// Another producer took over this producer's `transactional.id`: it must stop writing for good.
        public static let fenced = Code("producer fenced")
    }

    public var code: Code
    public var message: String
    /// librdkafka's numeric error code, when the failure came from librdkafka.
    public var rdKafkaCode: Int32?

    public init(code: Code, message: String, rdKafkaCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.rdKafkaCode = rdKafkaCode
    }

    public var description: String { "\(code): \(message)" }
}
