/// What a conversation id from outside (a webhook, the admin API, the ids topic, the configuration) may be, per
/// platform, checked before anything is stored: Jelou's are Mongo-like strings, Chatvolt's cuids, Zild's positive
/// 32-bit integers. The id becomes part of every event key and of request paths, so it is kept to printable ASCII
/// without `/`, spaces or escapes.
public enum ConversationIDRule {
    public static let maxBytes = 128

    /// Why `id` cannot be a conversation id of `platform`, or nil.
    public static func problem(_ id: String, platform: Platform) -> String? {
        // Quoted and escaped, and cut: it came from outside.
        let shown = JSONWriter.string(.string(String(id.prefix(64))))
        guard !id.isEmpty else { return "the conversation id is empty" }
        guard id.utf8.count <= maxBytes else { return "the conversation id is \(id.utf8.count) bytes; at most \(maxBytes) are accepted" }
        switch platform {
        case .zild:
            return Int32(id).map { $0 > 0 } == true ? nil : "Zild conversation ids are positive integers, found \(shown)"
        case .jelou, .chatvolt:
            guard id.utf8.allSatisfy(isIDByte) else {
                return "\(platform == .jelou ? "Jelou" : "Chatvolt") conversation ids are letters, digits, '-', '_', '.' and ':', found \(shown)"
            }
            guard id.utf8.contains(where: { $0 != UInt8(ascii: ".") }) else { return "the conversation id \(shown) is only dots" }
            return nil
        }
    }

    private static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"):
            true
        default:
            false
        }
    }
}
