/// A stored snapshot that could not be read back.
public struct SnapshotDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var problem: String

    public var description: String { "snapshot field '\(field)': \(problem)" }
}
