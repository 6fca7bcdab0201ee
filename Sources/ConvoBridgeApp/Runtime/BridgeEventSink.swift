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
    let now: @Sendable () -> Timestamp

    func accept(_ event: NativeEvent, source: String) async throws {
        let at = now()
        let tracker = ConversationTracker(encoder: encoder)
        let observation = Observation(source: source, id: UUID().uuidString.lowercased(), observedAt: at, raw: nil)
        let (write, forwarded) = try await store.write(source: source, conversationID: event.conversationID, discoveredBy: .webhook, now: at) { tracked in
            let result = tracker.forward(event, to: tracked, observation: observation)
            return (ConversationWrite(tracked: result.tracked, records: result.records, poll: tracked.vanished ? .keep : .noLaterThan(at)), result.events)
        }
        for event in forwarded { metrics.event(event) }
        relayWake.signal()
        pollers[source]?.scheduled(event.conversationID, by: write)
    }
}
