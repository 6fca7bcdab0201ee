/// `POST /admin/quarantine/retry` or `…/drop`: these records, or all of them.
public struct AdminQuarantineRequest: Codable, Sendable, Hashable {
    public var ids: [Int64]?
    public var all: Bool?

    /// `ids`, or every quarantined record when nil.
    public init(ids: [Int64]?) {
        self.ids = ids
        all = ids == nil ? true : nil
    }

    /// The records asked for (nil: all), or nil when the request names neither.
    public var selection: [Int64]?? {
        if all == true { return .some(nil) }
        if let ids, !ids.isEmpty { return .some(ids) }
        return nil
    }
}
