/// A store failure, with the database file named so the operator knows where to look.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var underlying: String

    public var description: String { "store \(path): \(operation) failed: \(underlying)" }
}
