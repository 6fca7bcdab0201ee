import Synchronization

/// A stream a reader thread fills, counting what it holds: the reader adds what it yields (``Counter/add(_:)``), the
/// consumer's iteration takes each element's `weight` off, so the reader can tell when its consumer falls behind and
/// wait instead of filling memory.
public struct CountedStream<Element: Sendable>: AsyncSequence, Sendable {
    public final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        var count: Int { value.load(ordering: .relaxed) }
        func add(_ amount: Int) { value.add(amount, ordering: .relaxed) }
        func subtract(_ amount: Int) { value.subtract(amount, ordering: .relaxed) }
    }

    let stream: AsyncThrowingStream<Element, any Error>
    let counter: Counter
    let weight: @Sendable (Element) -> Int

    /// What was read and not yet taken by the consumer.
    public var buffered: Int { counter.count }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), counter: counter, weight: weight)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<Element, any Error>.AsyncIterator
        let counter: Counter
        let weight: @Sendable (Element) -> Int

        public mutating func next() async throws -> Element? {
            let element = try await base.next()
            if let element { counter.subtract(weight(element)) }
            return element
        }
    }
}
