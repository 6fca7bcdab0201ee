/// Renders a record from the events or state topic as one line a person can read, or as one JSON line.
///
/// Used by `convobridge tail` and the demo's live view.
public struct EventLineFormatter: Sendable {
    public init() {}

    /// `10:45:02.114  conversation.closed              jelou-prod/c-1  #3  status: "open" → "closed"`
    public func line(key: String?, headers: [OutboundRecord.Header], value: [UInt8]?) -> String {
        let keyText = key ?? "(no key)"
        guard let value else { return "tombstone  \(keyText)  (conversation vanished)" }
        let headerValue = { (name: String) in headers.text(of: name) }
        guard var parsed = try? JSONParser.parse(value) else {
            return "\(keyText)  (value is not JSON: \(value.count) bytes)"
        }
        var type = headerValue("ce_type")
        var time = headerValue("ce_time")
        var sequence = headerValue("ce_sequence")
        if headerValue("content-type") == "application/cloudevents+json", let data = parsed["data"] {
            type = parsed["type"]?.stringValue
            time = parsed["time"]?.stringValue
            sequence = parsed["sequence"]?.scalarText
            parsed = data
        }
        guard let type else {
            // The state topic: a snapshot.
            let status = parsed["status"]?.stringValue ?? "?"
            let state = parsed["state"]?.stringValue ?? "?"
            return "state  \(keyText)  status=\(status) state=\(state)"
        }
        let clock = time.map(Self.clockTime) ?? "--:--:--.---"
        let number = sequence.map { "#\($0)" } ?? "#?"
        return "\(clock)  \(type.padding(to: 37))  \(keyText)  \(number)  \(Self.summary(of: parsed))"
    }

    /// One JSON object per record: where it is, its timestamp (ms), key, headers, and the value parsed when it is JSON.
    public func jsonLine(
        topic: String,
        partition: Int32,
        offset: Int64,
        key: String?,
        headers: [OutboundRecord.Header],
        value: [UInt8]?,
        timestamp: Int64? = nil
    ) -> String {
        var headerObject = JSONObject()
        for header in headers { headerObject.append(header.name, .string(String(decoding: header.value, as: UTF8.self))) }
        let valueJSON: JSONValue
        if let value {
            valueJSON = (try? JSONParser.parse(value)) ?? .string(String(decoding: value, as: UTF8.self))
        } else {
            valueJSON = .null
        }
        let object: JSONObject = [
            "topic": .string(topic),
            "partition": .integer(partition),
            "offset": .integer(offset),
            "timestamp": timestamp.map { .integer($0) } ?? .null,
            "key": .optional(key),
            "headers": .object(headerObject),
            "value": valueJSON,
        ]
        return JSONWriter.string(.object(object))
    }

    /// What changed, from the event's `data`.
    static func summary(of data: JSONValue) -> String {
        if let transition = data["transition"]?.objectValue {
            let field = transition["field"]?.stringValue ?? "?"
            let from = transition["from"].map(JSONWriter.string) ?? "null"
            let to = transition["to"].map(JSONWriter.string) ?? "null"
            var text = "\(field): \(from) → \(to)"
            if let fields = data["changed_fields"]?.arrayValue, fields.count > 1 {
                text += "  [\(fields.compactMap(\.stringValue).joined(separator: ", "))]"
            }
            return text
        }
        if let native = data["native"] {
            return "native: \(JSONWriter.string(native).prefix(80))"
        }
        if let after = data["after"], !after.isNull {
            return "status=\(after["status"]?.stringValue ?? "?") state=\(after["state"]?.stringValue ?? "?")"
        }
        return ""
    }

    /// `10:45:02.114` from an RFC 3339 time; the text unchanged when it is not one.
    static func clockTime(_ text: String) -> String {
        guard let timestamp = Timestamp(iso8601: text) else { return text }
        let rendered = timestamp.rfc3339
        let start = rendered.index(rendered.startIndex, offsetBy: 11)
        return String(rendered[start..<rendered.index(before: rendered.endIndex)])
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
