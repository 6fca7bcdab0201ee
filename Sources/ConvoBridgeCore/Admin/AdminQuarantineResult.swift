/// What a quarantine retry or drop did: `retrying` or `dropped`, and how many records.
public struct AdminQuarantineResult: Codable, Sendable, Hashable {
    public var status: String
    public var records: Int

    public init(status: String, records: Int) {
        self.status = status
        self.records = records
    }
}
