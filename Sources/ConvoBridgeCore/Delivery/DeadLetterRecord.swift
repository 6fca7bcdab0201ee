/// The record an event becomes on the dead-letter topic when its last delivery attempt to a subscription failed:
/// the whole event (structured CloudEvent, as it was sent) under the conversation's key, with why, in headers a
/// replay tool or an operator reads.
public enum DeadLetterRecord {
    public static func make(
        _ item: DeliveryItem, topic: String, subscription: String, attempts: Int, lastFailure: DeliveryAttemptResult, at time: Timestamp
    ) -> OutboundRecord {
        var headers: [OutboundRecord.Header] = [
            .init(name: "content-type", value: "application/cloudevents+json"),
            .init(name: "ce_id", value: item.eventID),
            .init(name: "convobridge_subscription", value: subscription),
            .init(name: "convobridge_attempts", value: String(attempts)),
            .init(name: "convobridge_last_failure", value: lastFailure.description),
            .init(name: "convobridge_last_status", value: lastFailure.statusLabel),
            .init(name: "convobridge_failed_at", value: time.rfc3339),
            .init(name: "convobridge_source_partition", value: String(item.partition)),
        ]
        if let offset = item.offset { headers.append(.init(name: "convobridge_source_offset", value: String(offset))) }
        return OutboundRecord(
            topic: topic, key: Array(item.conversationKey.utf8), value: item.body, headers: headers, timestamp: time.millisecondsSinceEpoch)
    }
}
