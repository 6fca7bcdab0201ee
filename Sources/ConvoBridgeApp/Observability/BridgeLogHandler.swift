public import ConvoBridgeCore
import ConvoBridgeHTTP
public import Logging

/// The log handler of every command: human lines or JSON lines, with every known secret masked in the message
/// and the metadata, whatever library wrote them.
public struct BridgeLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let format: LogFormat
    private let redactor: SecretRedactor
    private let now: @Sendable () -> Timestamp
    private let write: @Sendable (String) -> Void

    /// - Parameters:
    ///   - write: receives each line, newline included (standard error in production).
    public init(
        label: String, level: Logger.Level, format: LogFormat, redactor: SecretRedactor,
        now: (@Sendable () -> Timestamp)? = nil, write: @escaping @Sendable (String) -> Void
    ) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.redactor = redactor
        self.now = now ?? { Timestamp.now() }
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The text with control characters written as escapes (`\n`, `\r`, `\t`, `\u{1b}`…).
    static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.properties.generalCategory == .control: escaped += "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.sorted { $0.key < $1.key }.map { ($0.key, redactor.redact($0.value.description)) }
        let message = redactor.redact(event.message.description)
        switch format {
        case .human:
            // Values come from platforms and clients (a user's name, an error body): a newline in one must not make
            // a line of its own that reads like the bridge's.
            var line = "\(now().rfc3339) \(event.level) \(label): \(Self.escapingControls(message))"
            for (key, value) in fields { line += " \(Self.escapingControls(key))=\(Self.escapingControls(value))" }
            write(line + "\n")
        case .json:
            var object: JSONObject = [
                "ts": .string(now().rfc3339), "level": .string(event.level.rawValue),
                "logger": .string(label), "msg": .string(message),
            ]
            for (key, value) in fields where object[key] == nil { object[key] = .string(value) }
            write(JSONWriter.string(.object(object)) + "\n")
        }
    }
}
