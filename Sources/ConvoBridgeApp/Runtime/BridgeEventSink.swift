import ConvoBridgeCore
import ConvoBridgeStore
import Foundation

/// Where verified webhook events go: the event is forwarded (`{platform}.{name}`, the conversation's next sequence)
/// through the outbox, the conversation is put on the watch list with an immediate poll, all in one transaction;
/// then the poller and the relay are woken.
///
/// With replicas, every event is written to the handoff topic instead (the answer waits for Kafka to have it), and
/// the replica that owns its conversation forwards it (``forward(_:source:bodyDigest:receivedAt:)``): only the owner
/// knows the next sequence, and only a record on Kafka survives a crash before the owner's transaction commits (its
/// outbox is dropped on every restore).
struct BridgeEventSink: NativeEventSink {
    let store: BridgeStore
    let encoder: CloudEventEncoder
    let pollers: [String: SourcePoller]
    let relayWake: WakeSignal
    let metrics: BridgeMetrics
    /// How long each source's delivered bodies are remembered, to recognise one sent again.
    let rememberDeliveries: [String: Duration]
    let now: @Sendable () -> Timestamp

    func accept(_ event: NativeEvent, source: String, bodyDigest: [UInt8]) async throws -> WebhookAcceptance {
        let at = now()
        if let ownership = pollers[source]?.ownership {
            try await ownership.handOff(WebhookHandoffRecord(source: source, event: event, bodyDigest: bodyDigest, receivedAt: at))
            metrics.webhookHandoffs("handed_off")
            return .recorded
        }
        return try await forward(event, source: source, bodyDigest: bodyDigest, receivedAt: at).acceptance
    }

    /// Forwards an event of a conversation this process polls; `outboxThrough` is the last outbox row it wrote.
    func forward(
        _ event: NativeEvent, source: String, bodyDigest: [UInt8], receivedAt at: Timestamp
    ) async throws -> (acceptance: WebhookAcceptance, outboxThrough: Int64?) {
        let tracker = ConversationTracker(encoder: encoder)
        let observation = Observation(source: source, id: UUID().uuidString.lowercased(), observedAt: at, raw: nil)
        let delivery = rememberDeliveries[source].flatMap {
            $0 > .zero ? WebhookDelivery(digest: bodyDigest, receivedAt: at, rememberedFor: $0) : nil
        }
        let write: ConversationWrite
        let forwarded: [ConversationEvent]
        do {
            (write, forwarded) = try await store.write(
                source: source, conversationID: event.conversationID, discoveredBy: .webhook, now: at,
                delivery: delivery
            ) { tracked in
                let result = tracker.forward(event, to: tracked, observation: observation)
                return (
                    ConversationWrite(tracked: result.tracked, records: result.records, poll: tracked.vanished ? .keep : .noLaterThan(at)),
                    result.events
                )
            }
        } catch is DuplicateDelivery {
            // Counted by the receiver's answer (convobridge_webhook_requests_total, outcome duplicate).
            return (.duplicate, nil)
        }
        for event in forwarded { metrics.event(event) }
        relayWake.signal()
        pollers[source]?.scheduled(event.conversationID, by: write)
        return (.recorded, write.outboxThrough)
    }
}
