/// `POST /admin/sources/{source}/conversations`: the conversation to watch.
public struct AdminWatchRequest: Codable, Sendable, Hashable {
    public var id: String

    public init(id: String) { self.id = id }
}
