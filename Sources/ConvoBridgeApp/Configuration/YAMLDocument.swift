public import ConvoBridgeCore
import Yams

/// Reads YAML into the same JSON value tree (scalars as text) the rest of the bridge works with, so configuration errors can name
/// paths the way payload errors do.
public enum YAMLDocument {
    /// More values than any configuration needs, few enough to validate at once: a file past it is almost surely
    /// aliases multiplying each other (`b: [*a, *a, …]`, a "billion laughs"), which would otherwise expand for ever.
    public static let maximumValues = 100_000

    public static func parse(_ text: String) throws(ConfigurationError) -> JSONValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(problems: ["not valid YAML: \(error)"])
        }
        guard let node else { return .object([:]) }
        var budget = maximumValues
        guard let tree = value(of: node, budget: &budget) else {
            throw ConfigurationError(problems: ["the file expands to more than \(maximumValues) values; are YAML aliases (*name) repeating each other?"])
        }
        return tree
    }

    /// Nil once more than `budget` values have been read.
    private static func value(of node: Node, budget: inout Int) -> JSONValue? {
        budget -= 1
        guard budget >= 0 else { return nil }
        switch node {
        case .mapping(let mapping):
            var members: [JSONObject.Member] = []
            for (key, child) in mapping {
                guard let value = value(of: child, budget: &budget) else { return nil }
                members.append(JSONObject.Member(key: key.string ?? "\(key)", value: value))
            }
            return .object(JSONObject(members))
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for child in sequence {
                guard let value = value(of: child, budget: &budget) else { return nil }
                items.append(value)
            }
            return .array(items)
        case .scalar(let scalar):
            // Scalars stay text (the reader converts and range-checks them per key); only YAML's null is null.
            return node.null != nil ? .null : .string(scalar.string)
        case .alias:
            return .null
        }
    }
}
