/// `GET /admin/sources`: one source's state, keyed by the source's name in the answer.
public struct AdminSourceSummary: Codable, Sendable, Hashable {
    public var paused: Bool
    public var circuitOpen: Bool
    public var watched: Int
    public var retired: Int
    public var vanished: Int
    public var scheduled: Int
    public var inFlight: Int
    public var dueNow: Int
    public var pollLagP50Seconds: Double?
    public var pollLagP99Seconds: Double?

    public init(
        paused: Bool, circuitOpen: Bool, watched: Int, retired: Int, vanished: Int, scheduled: Int, inFlight: Int, dueNow: Int,
        pollLagP50Seconds: Double?, pollLagP99Seconds: Double?
    ) {
        self.paused = paused
        self.circuitOpen = circuitOpen
        self.watched = watched
        self.retired = retired
        self.vanished = vanished
        self.scheduled = scheduled
        self.inFlight = inFlight
        self.dueNow = dueNow
        self.pollLagP50Seconds = pollLagP50Seconds
        self.pollLagP99Seconds = pollLagP99Seconds
    }

    enum CodingKeys: String, CodingKey {
        case paused, watched, retired, vanished, scheduled
        case circuitOpen = "circuit_open"
        case inFlight = "in_flight"
        case dueNow = "due_now"
        case pollLagP50Seconds = "poll_lag_p50_seconds"
        case pollLagP99Seconds = "poll_lag_p99_seconds"
    }

    /// Unknown lags are written as null, not left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(paused, forKey: .paused)
        try container.encode(circuitOpen, forKey: .circuitOpen)
        try container.encode(watched, forKey: .watched)
        try container.encode(retired, forKey: .retired)
        try container.encode(vanished, forKey: .vanished)
        try container.encode(scheduled, forKey: .scheduled)
        try container.encode(inFlight, forKey: .inFlight)
        try container.encode(dueNow, forKey: .dueNow)
        try container.encode(pollLagP50Seconds, forKey: .pollLagP50Seconds)
        try container.encode(pollLagP99Seconds, forKey: .pollLagP99Seconds)
    }
}
