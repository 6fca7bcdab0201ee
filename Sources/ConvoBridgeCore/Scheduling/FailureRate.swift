/// The share of a source's recent attempts that failed: an exponentially weighted average over about the last
/// `1 / weight` attempts. It tells a conversation that was unlucky (a bad answer among good ones) from a platform
/// that fails most requests, which is when backing off each conversation is the polite thing to do.
public struct FailureRate: Sendable, Hashable {
    public private(set) var value: Double = 0
    public let weight: Double

    public init(weight: Double = 0.01) {
        self.weight = min(max(weight, 0.0001), 1)
    }

    public mutating func record(failed: Bool) {
        value += weight * ((failed ? 1 : 0) - value)
    }

    /// Failures are sporadic while at most half the recent attempts failed.
    public var isSporadic: Bool { value <= 0.5 }
}
