public import ConvoBridgeCore

/// A misbehaviour the simulator's platform endpoints show for the next `count` requests.
public struct SimulatorFault: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// 429 with `Retry-After: retryAfterSeconds`.
        case rateLimit = "rate_limit"
        /// 500 with Jelou's error envelope.
        case serverError = "server_error"
        /// 503 with an empty body, as a gateway sends it.
        case unavailable
        /// The normal answer, `latencyMilliseconds` late.
        case latency
        /// 200 with a body that is not JSON.
        case malformedJSON = "malformed_json"
        /// 502 with an HTML page, as a proxy sends it.
        case htmlError = "html_error"
        /// 200 with the JSON document cut in the middle.
        case truncatedBody = "truncated_body"
        /// 401 with Jelou's error envelope, whatever the credentials.
        case unauthorized
        /// 200 with the normal answer padded to `bodyBytes` (default 8 MiB): larger than a client should accept.
        case oversizedBody = "oversized_body"
        /// 200 whose headers and first half of the body are sent, then nothing for `latencyMilliseconds` before the
        /// rest: a stalled upstream behind a proxy.
        case stalledBody = "stalled_body"
    }

    public var kind: Kind
    public var count: Int
    public var retryAfterSeconds: Int
    public var latencyMilliseconds: Int
    public var bodyBytes: Int
    /// Only requests for this conversation take the fault (nil: any request, lists included).
    public var conversationID: String?

    public init(
        kind: Kind, count: Int = 1, retryAfterSeconds: Int = 1, latencyMilliseconds: Int = 200, bodyBytes: Int = 8 << 20,
        conversationID: String? = nil
    ) {
        self.kind = kind
        self.conversationID = conversationID
        self.count = max(1, count)
        self.retryAfterSeconds = retryAfterSeconds
        self.latencyMilliseconds = latencyMilliseconds
        self.bodyBytes = min(max(0, bodyBytes), 256 << 20)
    }

    /// Reads `{kind, count?, retry_after?, latency_ms?, body_bytes?, conversation_id?}` from the control API.
    public init(json: JSONValue) throws(PayloadError) {
        let reader = PayloadReader(context: "simulator fault", root: json)
        let name = try reader.requiredString("kind")
        guard let kind = Kind(rawValue: name) else {
            throw reader.failure("kind", "unknown fault \(name); one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.init(
            kind: kind, count: Int(try reader.integer("count") ?? 1),
            retryAfterSeconds: Int(try reader.integer("retry_after") ?? 1),
            latencyMilliseconds: Int(try reader.integer("latency_ms") ?? 200),
            bodyBytes: Int(try reader.integer("body_bytes") ?? 8 << 20),
            conversationID: try reader.string("conversation_id"))
    }
}
