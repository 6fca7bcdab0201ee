public import ConvoBridgeCore
public import ConvoBridgeSigning

extension BridgeConfiguration {
    /// `webhooks:`: the event stream delivered to HTTP subscribers (``WebhookDeliverer``), read back from the events
    /// topic in a consumer group per subscription.
    public struct Delivery: Sendable {
        /// One receiver of events.
        public struct Subscription: Sendable {
            /// Unique; names its consumer group (`{group_id}.{name}`), its metrics and its admin endpoints.
            public var name: String
            public var url: String
            public var signer: StandardWebhookSigner
            /// The signing secrets' values (for the log redactor), current first.
            public var secrets: [String]
            public var filter: SubscriptionFilter
            /// Sent with every request, after the Standard Webhooks headers (which they cannot replace).
            public var headers: [(name: String, value: String)]
            /// One attempt: connect, TLS, request, the whole answer.
            public var timeout: Duration
            /// Attempts in flight at once (different conversations).
            public var concurrency: Int
            /// Lets the URL's host resolve to loopback, private or link-local addresses.
            public var allowPrivateNetwork: Bool

            public init(
                name: String, url: String, signer: StandardWebhookSigner, secrets: [String], filter: SubscriptionFilter = SubscriptionFilter(),
                headers: [(name: String, value: String)] = [], timeout: Duration = Self.defaultTimeout,
                concurrency: Int = Self.defaultConcurrency, allowPrivateNetwork: Bool = false
            ) {
                self.name = name
                self.url = url
                self.signer = signer
                self.secrets = secrets
                self.filter = filter
                self.headers = headers
                self.timeout = timeout
                self.concurrency = concurrency
                self.allowPrivateNetwork = allowPrivateNetwork
            }

            /// Svix's own per-attempt timeout.
            public static let defaultTimeout: Duration = .seconds(15)
            public static let defaultConcurrency = 10
            /// Headers a subscription may not set: the signature's, and those the HTTP layer owns.
            public static let reservedHeaders: Set<String> = [
                "webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length", "host", "connection",
                "transfer-encoding",
            ]
        }

        public var subscriptions: [Subscription]
        /// Each subscription's consumer group is `{groupID}.{name}`.
        public var groupID: String
        public var deadLetterTopic: String
        public var schedule: DeliveryRetrySchedule
        /// Per subscription, events read and not yet done before reading pauses.
        public var maxPending: Int
        /// How often the done offsets are committed (and once more on shutdown).
        public var commitInterval: Duration

        public init(
            subscriptions: [Subscription], groupID: String = Self.defaultGroupID, deadLetterTopic: String = Self.defaultDeadLetterTopic,
            schedule: DeliveryRetrySchedule = .svix, maxPending: Int = Self.defaultMaxPending, commitInterval: Duration = .seconds(1)
        ) {
            self.subscriptions = subscriptions
            self.groupID = groupID
            self.deadLetterTopic = deadLetterTopic
            self.schedule = schedule
            self.maxPending = maxPending
            self.commitInterval = commitInterval
        }

        public static let defaultGroupID = "convobridge-deliver"
        public static let defaultDeadLetterTopic = "conversation-events-dlq"
        public static let defaultMaxPending = 10_000

        public var secrets: [String] { subscriptions.flatMap(\.secrets) }
    }
}
