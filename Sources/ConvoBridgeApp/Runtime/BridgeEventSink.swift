import ConvoBridgeCore
import ConvoBridgeStore
import Foundation

/// Where verified webhook events go: the event is forwarded (`{platform}.{name}`, the conversation's next sequence)
/// through the outbox, the conversation is put on the watch list with an immediate poll, all in one transaction;
/// then the poller and the relay are woken.
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
        // Another replica owns the conversation: it polls it now and reports what changed.
        if let poller = pollers[source], try await poller.handsOff(event.conversationID, origin: .webhook, pollNow: true) { return .recorded }
        let at = now()
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
            return .duplicate
        }
        for event in forwarded { metrics.event(event) }
        relayWake.signal()
        pollers[source]?.scheduled(event.conversationID, by: write)
        return .recorded
    }
}
