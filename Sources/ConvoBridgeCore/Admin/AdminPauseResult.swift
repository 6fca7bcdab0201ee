/// `POST /admin/sources/{source}/pause` and `…/resume`: the source's pause now.
public struct AdminPauseResult: Codable, Sendable, Hashable {
    public var source: String
    public var paused: Bool

    public init(source: String, paused: Bool) {
        self.source = source
        self.paused = paused
    }
}
