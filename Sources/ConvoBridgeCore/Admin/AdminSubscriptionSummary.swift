/// `GET /admin/subscriptions` (each), and the answer of `…/{name}/pause` and `…/resume`: one webhook subscription's
/// delivery state.
public struct AdminSubscriptionSummary: Codable, Sendable, Hashable {
    public var name: String
    /// The URL without its query (which may hold a key).
    public var url: String
    /// `active`, `paused` (by an operator) or `disabled` (the receiver answered 410 Gone).
    public var status: String
    public var disabledReason: String?
    /// Events read and not yet delivered or dead-lettered.
    public var pending: Int
    public var inFlight: Int
    /// Conversations whose next event waits for a retry.
    public var retrying: Int
    /// 0 when nothing is pending.
    public var oldestPendingAgeSeconds: Double
    public var replaying: Bool
    /// Events queued again by replays since the start.
    public var replayedEvents: Int

    public init(
        name: String, url: String, status: String, disabledReason: String?, pending: Int, inFlight: Int, retrying: Int,
        oldestPendingAgeSeconds: Double, replaying: Bool, replayedEvents: Int
    ) {
        self.name = name
        self.url = url
        self.status = status
        self.disabledReason = disabledReason
        self.pending = pending
        self.inFlight = inFlight
        self.retrying = retrying
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
        self.replaying = replaying
        self.replayedEvents = replayedEvents
    }

    enum CodingKeys: String, CodingKey {
        case name, url, status, pending, retrying, replaying
        case disabledReason = "disabled_reason"
        case inFlight = "in_flight"
        case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
        case replayedEvents = "replayed_events"
    }
}
