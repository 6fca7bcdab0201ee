public import ConvoBridgeCore
import Foundation

/// `convobridge check-config`'s output: every setting with the value the bridge will use and its origin, secrets
/// masked, as aligned text or as JSON.
public struct EffectiveConfigurationReport: Sendable {
    public var file: String
    public var configuration: BridgeConfiguration

    public init(file: String, configuration: BridgeConfiguration) {
        self.file = file
        self.configuration = configuration
    }

    public var summary: String {
        let names = configuration.sources.map(\.name).joined(separator: ", ")
        let subscriptions = configuration.delivery?.subscriptions.map(\.name) ?? []
        let delivery = subscriptions.isEmpty ? "" : "; \(subscriptions.count) webhook subscription(s): \(subscriptions.joined(separator: ", "))"
        return "\(file): valid, \(configuration.sources.count) source(s): \(names)\(delivery)"
    }

    public var text: String {
        let settings = configuration.effectiveSettings
        let pathWidth = settings.map(\.path.count).max() ?? 0
        let valueWidth = min(48, settings.map(\.value.count).max() ?? 0)
        var lines = [summary]
        for setting in settings {
            let path = setting.path.padding(toLength: pathWidth, withPad: " ", startingAt: 0)
            let value = setting.value.count < valueWidth ? setting.value.padding(toLength: valueWidth, withPad: " ", startingAt: 0) : setting.value
            lines.append("\(path)  \(value)  (\(setting.origin))")
        }
        return lines.joined(separator: "\n")
    }

    public var json: JSONValue {
        .object([
            "file": .string(file),
            "valid": .bool(true),
            "settings": .array(
                configuration.effectiveSettings.map { setting in
                    .object(["key": .string(setting.path), "value": .string(setting.value), "origin": .string(setting.origin.description)])
                }),
        ])
    }
}
