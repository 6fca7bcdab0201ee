import NIOHTTP1

/// An answer's headers, looked up by name without regard to case. They are kept as the transport parsed them, not
/// copied into a dictionary of lowercased names: the bridge reads one or two of them, thousands of times a second.
public struct SourceResponseHeaders: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    private var fields: HTTPHeaders

    init(_ fields: HTTPHeaders) {
        self.fields = fields
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = HTTPHeaders(elements)
    }

    /// The first value of the header `name` (any case), or nil.
    public subscript(name: String) -> String? {
        fields.first(name: name)
    }

    /// The count only: equality ignores the order of the fields and the case of their names.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(fields.count)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.fields == rhs.fields
    }
}
