/// A subscription's event-type filter entry: an exact type (`conversation.closed`), a prefix wildcard
/// (`conversation.*`, `jelou.*`: every type that starts with the part before `*`), or `*` for every type.
public struct EventTypePattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let prefix: Substring?

    /// - Throws: ``Problem`` for an empty pattern, or a `*` anywhere but at the end.
    public init(_ text: String) throws(Problem) {
        guard !text.isEmpty else { throw .empty }
        guard text.utf8.count <= 256 else { throw .tooLong }
        if let star = text.firstIndex(of: "*") {
            guard text.index(after: star) == text.endIndex else { throw .starNotAtEnd(text) }
            prefix = text[..<star]
        } else {
            prefix = nil
        }
        self.text = text
    }

    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case empty
        case tooLong
        case starNotAtEnd(String)

        public var description: String {
            switch self {
            case .empty: "an event type pattern cannot be empty"
            case .tooLong: "an event type pattern is at most 256 bytes"
            case .starNotAtEnd(let text): "\(text): a * may only end a pattern (conversation.*, or * for every type)"
            }
        }
    }

    public func matches(_ type: String) -> Bool {
        if let prefix { return type.hasPrefix(prefix) }
        return type == text
    }

    public var description: String { text }
}
