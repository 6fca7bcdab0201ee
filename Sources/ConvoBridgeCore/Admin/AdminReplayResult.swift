/// The answer to a replay request (202): it runs in the background; `GET /admin/subscriptions` shows its progress.
public struct AdminReplayResult: Codable, Sendable, Hashable {
    public var subscription: String
    public var accepted: Bool

    public init(subscription: String, accepted: Bool) {
        self.subscription = subscription
        self.accepted = accepted
    }
}
