public import ConvoBridgeCore
import Foundation

extension Timestamp {
    /// The wall clock now.
    public static func now() -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}

extension TimeSource {
    /// The real clocks: monotonic time for waits, the wall clock for observation times.
    public static var system: TimeSource { TimeSource(clock: ContinuousClock(), wallClock: Timestamp.now) }
}
