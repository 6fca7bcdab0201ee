/// Reads fields out of a platform payload by dotted path, turning every surprise into a ``PayloadError`` that names
/// the endpoint and the path.
public struct PayloadReader: Sendable {
    public let context: String
    public let root: JSONValue
    /// The root object's members by name: payloads like Zild's have dozens, read one by one.
    private let members: [String: JSONValue]

    public init(context: String, root: JSONValue) {
        self.context = context
        self.root = root
        var members: [String: JSONValue] = [:]
        if let object = root.objectValue, object.count > 8 {
            members.reserveCapacity(object.count)
            // The first member of a name wins, as in ``JSONObject``'s subscript.
            for member in object.members where members[member.key] == nil { members[member.key] = member.value }
        }
        self.members = members
    }

    /// The value at `path` (`data.User.names`), nil when a member on the way is absent or JSON null.
    public func value(_ path: String) -> JSONValue? {
        // Split on UTF-8 bytes: Character indexing (grapheme breaking) costs more than the lookups themselves.
        let bytes = path.utf8
        var start = bytes.startIndex
        var current = root
        var first = true
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ".")) ?? bytes.endIndex
            let key = String(Substring(bytes[start..<end]))
            let next = first && !members.isEmpty ? members[key] : current[key]
            guard let next, !next.isNull else { return nil }
            current = next
            first = false
            start = end == bytes.endIndex ? end : bytes.index(after: end)
        }
        return current
    }

    public func failure(_ path: String, _ problem: String) -> PayloadError {
        PayloadError(context: context, path: path, problem: problem)
    }

    /// A string; numbers and booleans are accepted as their text (ids sometimes arrive as numbers).
    public func string(_ path: String) throws(PayloadError) -> String? {
        guard let value = value(path) else { return nil }
        guard let text = value.scalarText else { throw failure(path, "expected a string, found \(value.kindName)") }
        return text
    }

    /// The string at the first of `paths` that is present (`??` cannot carry typed throws).
    public func string(firstOf paths: String...) throws(PayloadError) -> String? {
        for path in paths {
            if let text = try string(path) { return text }
        }
        return nil
    }

    public func requiredString(_ path: String) throws(PayloadError) -> String {
        guard let text = try string(path), !text.isEmpty else { throw failure(path, "missing") }
        return text
    }

    /// An ISO 8601 date-time; an empty string counts as absent.
    public func timestamp(_ path: String) throws(PayloadError) -> Timestamp? {
        guard let text = try string(path), !text.isEmpty else { return nil }
        guard let timestamp = Timestamp(iso8601: text) else { throw failure(path, "not an ISO 8601 date-time: \(text)") }
        return timestamp
    }

    public func integer(_ path: String) throws(PayloadError) -> Int64? {
        guard let value = value(path) else { return nil }
        if let integer = value.int64Value { return integer }
        if let double = value.doubleValue, double.rounded() == double, abs(double) < 9e15 { return Int64(double) }
        throw failure(path, "expected an integer, found \(value.kindName)")
    }

    public func bool(_ path: String) throws(PayloadError) -> Bool? {
        guard let value = value(path) else { return nil }
        guard let flag = value.boolValue else { throw failure(path, "expected true or false, found \(value.kindName)") }
        return flag
    }

    public func array(_ path: String) throws(PayloadError) -> [JSONValue]? {
        guard let value = value(path) else { return nil }
        guard let array = value.arrayValue else { throw failure(path, "expected an array, found \(value.kindName)") }
        return array
    }

    /// What `read` makes of each element of the array at `path` (nil results dropped), each element read with its
    /// own reader so errors name `path[i]`.
    public func elements<Element>(_ path: String, _ read: (PayloadReader) throws(PayloadError) -> Element?) throws(PayloadError) -> [Element] {
        var result: [Element] = []
        for (index, item) in (try array(path) ?? []).enumerated() {
            if let element = try read(PayloadReader(context: "\(context) \(path)[\(index)]", root: item)) { result.append(element) }
        }
        return result
    }

    public func requiredObject(_ path: String) throws(PayloadError) -> JSONValue {
        guard let value = value(path) else { throw failure(path, "missing") }
        guard value.objectValue != nil else { throw failure(path, "expected an object, found \(value.kindName)") }
        return value
    }
}

extension JSONValue {
    /// The JSON kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
