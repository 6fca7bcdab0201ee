/// How the bridge first learned of a conversation (the `discovered_by` column).
public enum DiscoveredBy: String, Sendable, Hashable, CaseIterable {
    /// `sources[].conversation_ids` in the configuration.
    case configuration = "config"
    /// A list endpoint (Jelou's Advisor list, Chatvolt's `GET /conversation`).
    case discovery
    /// A verified webhook.
    case webhook
    /// The admin API.
    case admin
    /// A record of `sources[].ids_topic`.
    case idsTopic = "ids_topic"
    /// A poll of a conversation the store did not know yet.
    case poll
    /// Restored from the internal state topic when this replica took over its partition.
    case handover
    /// A record of the watch topic (replicas coordinated by Kafka), written by whichever replica learned of it.
    case watch
}
