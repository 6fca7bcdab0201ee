import ConvoBridgeCore

/// What Jelou's error answers mean for a poller, shared by both endpoints.
enum JelouResponse {
    /// The error for a status the endpoint does not expect, with Jelou's own explanation when it sent one.
    static func failure(_ response: SourceResponse, redactor: SecretRedactor) -> SourceError {
        let explanation = (try? JSONParser.parse(response.body)).flatMap(JelouErrorBody.init(body:))?.description
        return response.failure(redactor: redactor, explanation: explanation)
    }

    /// A 404 that Jelou itself sent (its JSON error envelope), as opposed to a proxy's or a wrong base URL's page:
    /// only the first may count towards `conversation.vanished`.
    static func isJelouNotFound(_ response: SourceResponse) -> Bool {
        guard response.status == 404, let body = try? JSONParser.parse(response.body) else { return false }
        return JelouErrorBody(body: body) != nil
    }
}

extension String {
    /// Percent-encodes a path segment (ids are opaque to us). Ids that need no encoding, nearly all, are returned
    /// as they are.
    var pathSegmentEncoded: String {
        guard !utf8.allSatisfy(Self.isUnreserved) else { return self }
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count * 3)
        for byte in utf8 {
            if Self.isUnreserved(byte) {
                bytes.append(byte)
            } else {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// The base URL without trailing slashes, so paths join with exactly one.
    var trimmingTrailingSlashes: String {
        var text = Substring(self)
        while text.hasSuffix("/") { text.removeLast() }
        return String(text)
    }
}
