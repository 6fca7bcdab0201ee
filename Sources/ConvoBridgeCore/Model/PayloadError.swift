/// A platform payload that cannot be read: which endpoint, where in the payload, and what is wrong with it.
public struct PayloadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The endpoint or event, e.g. `jelou get-conversation`.
    public var context: String
    /// A JSON path in the payload, e.g. `data.state`; empty for the payload as a whole.
    public var path: String
    public var problem: String

    public init(context: String, path: String = "", problem: String) {
        self.context = context
        self.path = path
        self.problem = problem
    }

    public var description: String {
        path.isEmpty ? "\(context): \(problem)" : "\(context): \(path): \(problem)"
    }
}
