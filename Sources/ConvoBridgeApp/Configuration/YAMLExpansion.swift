// CYaml is the libyaml Yams builds and parses with (a target of Yams, not a product: a rename would fail the build).
import CYaml

/// How many values a YAML text stands for once its aliases are expanded, counted from libyaml's events (one pass,
/// linear in the text), before Yams composes it: composing hashes every mapping key, and a key built from aliases
/// that repeat each other (a "billion laughs") would take exponential time there.
enum YAMLExpansion {
    /// The number of values in `text`'s first document, or `limit + 1` as soon as it is past `limit`; nil when libyaml
    /// cannot parse it (Yams then says why).
    static func count(_ text: String, limit: Int) -> Int? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            // The size of every anchored node, and the collections still open with their size so far.
            var anchors: [String: Int] = [:]
            var open: [(anchor: String?, size: Int)] = []
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let completed: (anchor: String?, size: Int)
                switch event.type {
                case YAML_SCALAR_EVENT:
                    completed = (name(event.data.scalar.anchor), 1)
                case YAML_ALIAS_EVENT:
                    completed = (nil, name(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1)
                case YAML_SEQUENCE_START_EVENT:
                    open.append((name(event.data.sequence_start.anchor), 1))
                    continue
                case YAML_MAPPING_START_EVENT:
                    open.append((name(event.data.mapping_start.anchor), 1))
                    continue
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let collection = open.popLast() else { return nil }
                    completed = collection
                case YAML_DOCUMENT_END_EVENT, YAML_STREAM_END_EVENT:
                    return 0
                default:
                    continue
                }
                if let anchor = completed.anchor { anchors[anchor] = completed.size }
                guard !open.isEmpty else { return completed.size }
                // Both terms are at most `limit`, so the sum cannot overflow.
                open[open.count - 1].size += completed.size
                if open[open.count - 1].size > limit { return limit + 1 }
            }
        }
    }

    private static func name(_ anchor: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        anchor.map { String(cString: $0) }
    }
}
