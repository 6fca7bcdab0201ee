/// Publishes records to the event log (Kafka in production).
public protocol RecordPublisher: Sendable {
    /// Publishes `records` in order and waits for the broker's verdict on each.
    ///
    /// - Returns: one report per record, in the order given.
    /// - Throws: when the publisher cannot accept records at all (e.g. it has shut down); then none was sent.
    func publish(_ records: [OutboundRecord]) async throws -> [DeliveryReport]
}
