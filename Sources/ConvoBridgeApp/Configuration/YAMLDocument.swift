public import ConvoBridgeCore
import Yams

/// Reads YAML into the same JSON value tree (scalars as text) the rest of the bridge works with, so configuration errors can name
/// paths the way payload errors do.
public enum YAMLDocument {
    /// More values than any configuration needs, few enough to validate at once: a file past it is almost surely
    /// aliases multiplying each other (`b: [*a, *a, …]`, a "billion laughs"), which would otherwise expand for ever.
    public static let maximumValues = 100_000

    public static func parse(_ text: String) throws(ConfigurationError) -> JSONValue {
        if let count = YAMLExpansion.count(text, limit: maximumValues), count > maximumValues {
            throw ConfigurationError(problems: [
                "the file expands to more than \(maximumValues) values; are YAML aliases (*name) repeating each other?"
            ])
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(problems: ["not valid YAML: \(error)"])
        }
        guard let node else { return .object([:]) }
        return value(of: node)
    }

    private static func value(of node: Node) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            return .object(JSONObject(mapping.map { JSONObject.Member(key: $0.key.string ?? "\($0.key)", value: value(of: $0.value)) }))
        case .sequence(let sequence):
            return .array(sequence.map(value(of:)))
        case .scalar(let scalar):
            // Scalars stay text (the reader converts and range-checks them per key); only YAML's null is null.
            return node.null != nil ? .null : .string(scalar.string)
        case .alias:
            return .null
        }
    }
}
