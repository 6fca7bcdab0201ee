import ConvoBridgeCore
import Foundation

extension JSONValue {
    /// An admin message as JSON, for `--json` output: the same bytes the bridge's admin API answers with.
    static func encoding(_ value: some Encodable) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), let json = try? JSONParser.parse(Array(data)) else { return .null }
        return json
    }
}
