import Foundation

extension BridgeConfiguration {
    /// `coordination:`: one process on its own disk (`standalone`, the default), or a group of replicas that share
    /// the conversations through Kafka (`kafka`).
    public enum Coordination: Sendable, Hashable {
        case standalone
        case kafka(KafkaGroup)

        /// Replicas coordinated by Kafka: ownership by consumer group on the watch topic, state restored from the
        /// internal state topic, each partition's records published by a transactional producer of its own.
        public struct KafkaGroup: Sendable, Hashable {
            /// The consumer group of the replicas, and the prefix of their transactional ids.
            public var groupID: String
            /// The partition count of the watch and state topics; fixed for the life of a deployment.
            public var partitions: Int
            public var watchTopic: String
            public var stateTopic: String
            /// Webhook events received by a replica that does not own their conversation, for the owner to forward.
            public var handoffTopic: String
            /// This replica's `group.instance.id` (static membership): stable across restarts of the same replica.
            public var replicaID: String
            /// How long a replica that stops heartbeating keeps its partitions (`session.timeout.ms`).
            public var sessionTimeout: Duration
            /// Static membership (`group.instance.id` = ``replicaID``): a replica that restarts within the session
            /// timeout gets its partitions back without a rebalance, and one that stops keeps them until the session
            /// times out. Off: a replica that stops leaves the group at once, and the others take over right away.
            public var staticMembership: Bool

            public static let defaultGroupID = "convobridge"
            public static let defaultPartitions = 24
            public static let defaultWatchTopic = "convobridge-watch"
            public static let defaultStateTopic = "convobridge-state"
            public static let defaultHandoffTopic = "convobridge-handoff"
            public static let defaultSessionTimeout: Duration = .seconds(10)

            public init(
                groupID: String = Self.defaultGroupID, partitions: Int = Self.defaultPartitions, watchTopic: String = Self.defaultWatchTopic,
                stateTopic: String = Self.defaultStateTopic, handoffTopic: String = Self.defaultHandoffTopic,
                replicaID: String = Self.defaultReplicaID,
                sessionTimeout: Duration = Self.defaultSessionTimeout, staticMembership: Bool = true
            ) {
                self.staticMembership = staticMembership
                self.groupID = groupID
                self.partitions = partitions
                self.watchTopic = watchTopic
                self.stateTopic = stateTopic
                self.handoffTopic = handoffTopic
                self.replicaID = replicaID
                self.sessionTimeout = sessionTimeout
            }

            /// The host name: a StatefulSet pod's is stable (`convobridge-0`), which is what static membership wants.
            public static var defaultReplicaID: String { ProcessInfo.processInfo.hostName }

            /// The transactional id of the producer of one partition: the same on every replica, so a new owner's
            /// producer fences the last one's.
            public func transactionalID(partition: Int32) -> String { "\(groupID)-p\(partition)" }
        }
    }
}
