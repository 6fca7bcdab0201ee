/// Everything wrong with a configuration, each problem naming the key and the fix.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]

    public init(problems: [String]) {
        self.problems = problems
    }

    public var description: String {
        problems.count == 1
            ? "configuration: \(problems[0])"
            : "configuration has \(problems.count) problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
