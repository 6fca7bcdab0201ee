import ConvoBridgeCore
import Foundation

/// Reads a configuration tree, collecting every problem (with its key path and the fix) instead of stopping at the
/// first, so one run of `convobridge run` tells the operator everything to correct.
final class ConfigReader {
    let root: JSONValue
    let environment: [String: String]
    let readFile: (String) throws -> String
    /// Key paths set by an environment override, with the variable's name.
    let overrides: [String: String]
    private(set) var problems: [String] = []
    /// Every setting read, in reading order, with its origin; secrets masked.
    private(set) var settings: [EffectiveSetting] = []

    init(root: JSONValue, environment: [String: String], overrides: [String: String] = [:], readFile: @escaping (String) throws -> String) {
        self.root = root
        self.environment = environment
        self.overrides = overrides
        self.readFile = readFile
    }

    func problem(_ path: String, _ text: String) { problems.append("\(path): \(text)") }

    /// Records the value a setting ends up with; its origin is the override, the file, or the default.
    func record(_ path: String, _ value: String, origin: EffectiveSetting.Origin? = nil) {
        let origin = origin ?? overrides[path].map(EffectiveSetting.Origin.environment) ?? (node(path) == nil ? .defaultValue : .file)
        settings.append(EffectiveSetting(path: path, value: value, origin: origin))
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func node(_ path: String) -> JSONValue? {
        var current = root
        for part in Self.parts(path) {
            switch part {
            case .key(let key):
                guard let next = current[key] else { return nil }
                current = next
            case .index(let index):
                guard let items = current.arrayValue, index < items.count else { return nil }
                current = items[index]
            }
        }
        return current.isNull ? nil : current
    }

    enum Part {
        case key(String)
        case index(Int)
    }

    static func parts(_ path: String) -> [Part] {
        var parts: [Part] = []
        for piece in path.split(separator: ".") {
            var text = Substring(piece)
            if let open = text.firstIndex(of: "[") {
                parts.append(.key(String(text[..<open])))
                text = text[open...]
                while text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                    parts.append(.index(Int(text[text.index(after: text.startIndex)..<close]) ?? -1))
                    text = text[text.index(after: close)...]
                }
            } else {
                parts.append(.key(String(text)))
            }
        }
        return parts
    }

    /// Keys present at `path` that are not in `known`: a typo should not be silently ignored.
    func rejectUnknownKeys(_ path: String, known: Set<String>) {
        guard let object = node(path)?.objectValue else { return }
        for key in object.keys where !known.contains(key) {
            problem(Self.join(path, key), "unknown key; expected one of \(known.sorted().joined(separator: ", "))")
        }
    }

    /// The text at `path`, not recorded (for readers that record what they make of it).
    private func scalar(_ path: String) -> String? {
        guard let value = node(path) else { return nil }
        guard let text = value.scalarText else {
            problem(path, "expected a text value, found \(value.kindName)")
            return nil
        }
        return text
    }

    func string(_ path: String) -> String? {
        let text = scalar(path)
        if let text { record(path, text) }
        return text
    }

    func string(_ path: String, default fallback: String) -> String {
        if let text = string(path) { return text }
        record(path, fallback)
        return fallback
    }

    func requiredString(_ path: String, hint: String) -> String {
        guard let text = string(path), !text.isEmpty else {
            if node(path) == nil { problem(path, "missing; \(hint)") }
            return ""
        }
        return text
    }

    func int(_ path: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
        let number = readInt(path, default: fallback, range: range)
        record(path, String(number))
        return number
    }

    private func readInt(_ path: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
        guard let value = node(path) else { return fallback }
        guard let number = value.int64Value ?? value.stringValue.flatMap({ Int64($0) }), range.contains(Int(number)) else {
            problem(path, "expected a whole number in \(range.lowerBound)...\(range.upperBound), found \(value.scalarText ?? value.kindName)")
            return fallback
        }
        return Int(number)
    }

    func double(_ path: String, default fallback: Double, minimum: Double) -> Double {
        let number = readDouble(path, default: fallback, minimum: minimum)
        record(path, String(number))
        return number
    }

    private func readDouble(_ path: String, default fallback: Double, minimum: Double) -> Double {
        guard let value = node(path) else { return fallback }
        guard let number = value.doubleValue ?? value.stringValue.flatMap({ Double($0) }), number >= minimum else {
            problem(path, "expected a number of at least \(minimum), found \(value.scalarText ?? value.kindName)")
            return fallback
        }
        return number
    }

    func bool(_ path: String, default fallback: Bool) -> Bool {
        let flag = readBool(path, default: fallback)
        record(path, String(flag))
        return flag
    }

    private func readBool(_ path: String, default fallback: Bool) -> Bool {
        guard let value = node(path) else { return fallback }
        if let flag = value.boolValue { return flag }
        switch value.stringValue?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            problem(path, "expected true or false, found \(value.scalarText ?? value.kindName)")
            return fallback
        }
    }

    /// `500ms`, `15s`, `2m`, `1h`, or a number of seconds.
    func duration(_ path: String, default fallback: Duration) -> Duration {
        var duration = fallback
        if let text = scalar(path) {
            if let parsed = Self.parseDuration(text), parsed > .zero {
                duration = parsed
            } else {
                problem(path, "expected a duration like 500ms, 15s, 2m or 1h (at most a year), found \(text)")
            }
        }
        record(path, Self.formatDuration(duration))
        return duration
    }

    /// `64MiB`, `1GiB`, `512KiB`, `100MB`, `0`, or a number of bytes.
    func byteSize(_ path: String, default fallback: Int64) -> Int64 {
        var size = fallback
        if let text = scalar(path) {
            if let parsed = Self.parseByteSize(text) {
                size = parsed
            } else {
                problem(path, "expected a size like 64MiB, 1GiB, 500MB or a number of bytes, found \(text)")
            }
        }
        record(path, Self.formatByteSize(size))
        return size
    }

    /// `64MiB` when exact in MiB or GiB, else the bytes.
    static func formatByteSize(_ size: Int64) -> String {
        if size > 0 && size % (1 << 30) == 0 { return "\(size >> 30)GiB" }
        if size > 0 && size % (1 << 20) == 0 { return "\(size >> 20)MiB" }
        return "\(size)"
    }

    static func parseByteSize(_ text: String) -> Int64? {
        let units: [(String, Double)] = [
            ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776),
            ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("B", 1),
        ]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let (number, scale) =
            units.first { trimmed.hasSuffix($0.0) }
            .map { (Double(trimmed.dropLast($0.0.count).trimmingCharacters(in: .whitespaces)), $0.1) } ?? (Double(trimmed), 1)
        guard let number, number.isFinite, number >= 0, number * scale < 1e18 else { return nil }
        return Int64((number * scale).rounded())
    }

    /// The shortest of `parseDuration`'s forms that is exact: `15s`, `2m`, `1500ms`.
    static func formatDuration(_ duration: Duration) -> String {
        let milliseconds = duration.wholeMilliseconds
        for (suffix, scale) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] as [(String, Int64)]
        where milliseconds >= scale && milliseconds % scale == 0 {
            return "\(milliseconds / scale)\(suffix)"
        }
        return "\(milliseconds)ms"
    }

    /// `500ms`, `15s`, `2m`, `1h`, `1d` or a number of seconds, up to a year; nil for anything else (`inf`, `1e300s`).
    static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        let (number, scale) = units.first { text.hasSuffix($0.0) }.map { (Double(text.dropLast($0.0.count)), $0.1) } ?? (Double(text), 1)
        guard let number, number.isFinite, number >= 0, number * scale <= 366 * 86_400 else { return nil }
        return .milliseconds(Int64((number * scale * 1000).rounded()))
    }

    /// A secret, by reference only: `<key>_env` names an environment variable, `<key>_file` a file. A value under
    /// `<key>` itself is refused, so secrets never sit in configuration files or their diffs.
    func secret(_ path: String, key: String, required: Bool) -> String? {
        let keyPath = Self.join(path, key)
        if node(keyPath) != nil {
            problem(
                keyPath, "secrets are not accepted as values; set \(key)_env to the name of an environment variable, or \(key)_file to a file path")
            return nil
        }
        if let variable = string(Self.join(path, "\(key)_env")) {
            guard let value = environment[variable], !value.isEmpty else {
                problem(Self.join(path, "\(key)_env"), "\(variable) is not set")
                return nil
            }
            record(keyPath, EffectiveSetting.mask, origin: .secret("from $\(variable)"))
            return value
        }
        if let file = string(Self.join(path, "\(key)_file")) {
            do {
                let value = try readFile(file).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !value.isEmpty else {
                    problem(Self.join(path, "\(key)_file"), "\(file) is empty")
                    return nil
                }
                record(keyPath, EffectiveSetting.mask, origin: .secret("from file \(file)"))
                return value
            } catch {
                problem(Self.join(path, "\(key)_file"), "cannot read \(file): \(error.localizedDescription)")
                return nil
            }
        }
        if required { problem(keyPath, "missing; set \(key)_env (an environment variable name) or \(key)_file (a file path)") }
        return nil
    }
}
