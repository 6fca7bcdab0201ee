/// The time range each Advisor Conversations poll asks for.
///
/// The platform does not say which conversation time the range filters on (start, end or assignment), so every
/// poll covers at least the last `lookback`, and reaches back to `overlap` before where the previous poll ended,
/// so a conversation at a window's edge or behind a clock skew is seen, and a restart or an outage catches up
/// (up to `maxSpan`). Repeated results cost nothing: the diff yields no event for an unchanged conversation.
public struct SlidingWindow: Sendable, Hashable {
    public var lookback: Duration
    public var overlap: Duration
    public var maxSpan: Duration

    public init(lookback: Duration = .seconds(3600), overlap: Duration = .seconds(120), maxSpan: Duration = .seconds(7 * 86_400)) {
        self.lookback = lookback
        self.overlap = overlap
        self.maxSpan = max(maxSpan, lookback)
    }

    public struct Range: Sendable, Hashable {
        public var start: Timestamp
        public var end: Timestamp

        public init(start: Timestamp, end: Timestamp) {
            self.start = start
            self.end = end
        }
    }

    /// The range to ask for now, given where the previous poll's range ended (nil on the first poll).
    public func range(previousEnd: Timestamp?, now: Timestamp) -> Range {
        var start = now.adding(milliseconds: -lookback.wholeMilliseconds)
        if let previousEnd {
            start = min(start, previousEnd.adding(milliseconds: -overlap.wholeMilliseconds))
        }
        start = max(start, now.adding(milliseconds: -maxSpan.wholeMilliseconds))
        return Range(start: start, end: now)
    }
}
