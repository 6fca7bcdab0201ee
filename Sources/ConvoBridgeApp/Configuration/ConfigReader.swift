import ConvoBridgeCore
import Foundation

/// Reads a configuration tree, collecting every problem (with its key path and the fix) instead of stopping at the
/// first, so one run of `convobridge run` tells the operator everything to correct.
final class ConfigReader {
    let root: JSONValue
    let environment: [String: String]
    let readFile: (String) throws -> String
    private(set) var problems: [String] = []

    init(root: JSONValue, environment: [String: String], readFile: @escaping (String) throws -> String) {
        self.root = root
        self.environment = environment
        self.readFile = readFile
    }

    func problem(_ path: String, _ text: String) { problems.append("\(path): \(text)") }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func node(_ path: String) -> JSONValue? {
        var current = root
        for part in Self.parts(path) {
            switch part {
            case .key(let key): guard let next = current[key] else { return nil }; current = next
            case .index(let index): guard let items = current.arrayValue, index < items.count else { return nil }; current = items[index]
            }
        }
        return current.isNull ? nil : current
    }

    enum Part { case key(String), index(Int) }

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

    func string(_ path: String) -> String? {
        guard let value = node(path) else { return nil }
        guard let text = value.scalarText else { problem(path, "expected a text value, found \(value.kindName)"); return nil }
        return text
    }

    func string(_ path: String, default fallback: String) -> String { string(path) ?? fallback }

    func requiredString(_ path: String, hint: String) -> String {
        guard let text = string(path), !text.isEmpty else {
            if node(path) == nil { problem(path, "missing; \(hint)") }
            return ""
        }
        return text
    }

    func int(_ path: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
        guard let value = node(path) else { return fallback }
        guard let number = value.int64Value ?? value.stringValue.flatMap({ Int64($0) }), range.contains(Int(number)) else {
            problem(path, "expected a whole number in \(range.lowerBound)...\(range.upperBound), found \(value.scalarText ?? value.kindName)")
            return fallback
        }
        return Int(number)
    }

    func double(_ path: String, default fallback: Double, minimum: Double) -> Double {
        guard let value = node(path) else { return fallback }
        guard let number = value.doubleValue ?? value.stringValue.flatMap({ Double($0) }), number >= minimum else {
            problem(path, "expected a number of at least \(minimum), found \(value.scalarText ?? value.kindName)")
            return fallback
        }
        return number
    }

    func bool(_ path: String, default fallback: Bool) -> Bool {
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
        guard let text = string(path) else { return fallback }
        guard let duration = Self.parseDuration(text), duration > .zero else {
            problem(path, "expected a duration like 500ms, 15s, 2m or 1h, found \(text)")
            return fallback
        }
        return duration
    }

    static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number >= 0 else { return nil }
            return .milliseconds(Int64((number * scale * 1000).rounded()))
        }
        return Double(text).map { .milliseconds(Int64(($0 * 1000).rounded())) }
    }

    /// A secret, by reference only: `<key>_env` names an environment variable, `<key>_file` a file. A value under
    /// `<key>` itself is refused, so secrets never sit in configuration files or their diffs.
    func secret(_ path: String, key: String, required: Bool) -> String? {
        let keyPath = Self.join(path, key)
        if node(keyPath) != nil {
            problem(keyPath, "secrets are not accepted as values; set \(key)_env to the name of an environment variable, or \(key)_file to a file path")
            return nil
        }
        if let variable = string(Self.join(path, "\(key)_env")) {
            guard let value = environment[variable], !value.isEmpty else {
                problem(Self.join(path, "\(key)_env"), "\(variable) is not set")
                return nil
            }
            return value
        }
        if let file = string(Self.join(path, "\(key)_file")) {
            do {
                let value = try readFile(file).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !value.isEmpty else { problem(Self.join(path, "\(key)_file"), "\(file) is empty"); return nil }
                return value
            } catch {
                problem(Self.join(path, "\(key)_file"), "cannot read \(file): \(error)")
                return nil
            }
        }
        if required { problem(keyPath, "missing; set \(key)_env (an environment variable name) or \(key)_file (a file path)") }
        return nil
    }
}
