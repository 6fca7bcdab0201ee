/// The samples of one Prometheus exposition text, read back: what the demo's summary and the tests ask of the
/// metrics, so that nothing is counted a second time beside them.
public struct MetricsSnapshot: Sendable {
    public struct Sample: Sendable, Hashable {
        /// The sample's name as exposed, e.g. `convobridge_polls_total` or `convobridge_poll_lag_seconds_bucket`.
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public let samples: [Sample]

    /// Parses the text format (version 0.0.4). Comment lines and lines that do not parse are skipped.
    public init(exposition: [UInt8]) {
        samples = exposition.split(separator: UInt8(ascii: "\n")).compactMap { Self.sample(line: $0) }
    }

    /// The sum of the samples named `name` whose labels include `labels` (0 when there is none).
    public func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        matching(name, labels).reduce(0) { $0 + $1.value }
    }

    /// The value of the one sample named `name` with these labels among its own, nil when there is none.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        matching(name, labels).first?.value
    }

    private func matching(_ name: String, _ labels: [String: String]) -> [Sample] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
    }

    /// `name{key="value",…} value [timestamp]`; label values escape `\`, `"` and newlines with a backslash.
    private static func sample(line: ArraySlice<UInt8>) -> Sample? {
        guard let first = line.first, first != UInt8(ascii: "#") else { return nil }
        var index = line.startIndex
        while index < line.endIndex, line[index] != UInt8(ascii: "{"), line[index] != UInt8(ascii: " ") { index += 1 }
        let name = String(decoding: line[line.startIndex..<index], as: UTF8.self)
        var labels: [String: String] = [:]
        if index < line.endIndex, line[index] == UInt8(ascii: "{") {
            index += 1
            while index < line.endIndex, line[index] != UInt8(ascii: "}") {
                let keyStart = index
                while index < line.endIndex, line[index] != UInt8(ascii: "=") { index += 1 }
                let key = String(decoding: line[keyStart..<index], as: UTF8.self)
                index += 1
                guard index < line.endIndex, line[index] == UInt8(ascii: "\"") else { return nil }
                index += 1
                var value: [UInt8] = []
                while index < line.endIndex, line[index] != UInt8(ascii: "\"") {
                    if line[index] == UInt8(ascii: "\\"), index + 1 < line.endIndex {
                        index += 1
                        value.append(line[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : line[index])
                    } else {
                        value.append(line[index])
                    }
                    index += 1
                }
                guard index < line.endIndex else { return nil }
                labels[key] = String(decoding: value, as: UTF8.self)
                index += 1
                if index < line.endIndex, line[index] == UInt8(ascii: ",") { index += 1 }
            }
            guard index < line.endIndex else { return nil }
            index += 1
        }
        let rest = line[index...].split(separator: UInt8(ascii: " "))
        guard let text = rest.first.map({ String(decoding: $0, as: UTF8.self) }), let value = number(text) else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    private static func number(_ text: String) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }
}
