/// A store failure, with the database file named so the operator knows where to look.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var underlying: String
    /// SQLite refused the write for lack of space (`SQLITE_FULL`): nothing was written, and it can succeed later.
    public var isDiskFull: Bool

    public init(path: String, operation: String, underlying: String, isDiskFull: Bool = false) {
        self.path = path
        self.operation = operation
        self.underlying = underlying
        self.isDiskFull = isDiskFull
    }

    public var description: String {
        isDiskFull ? "store \(path): \(operation) failed: the disk is full (\(underlying))" : "store \(path): \(operation) failed: \(underlying)"
    }
}
