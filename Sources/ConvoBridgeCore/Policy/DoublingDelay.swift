/// A delay that doubles with each failure in a row, from `initial` up to `maximum`. Pure.
public struct DoublingDelay: Sendable, Hashable {
    public let initial: Duration
    public let maximum: Duration

    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// How long to wait after the failures in a row so far (1 for the first): `initial`, twice that, … `maximum`.
    public func delay(afterFailures failures: Int) -> Duration {
        min(initial * (1 << min(max(failures, 1) - 1, 20)), maximum)
    }

    /// Retries of a store that failed (a read or write error, not a full disk): 0.25 s doubling to 30 s.
    public static let storeRetry = DoublingDelay(initial: .milliseconds(250), maximum: .seconds(30))
}
