import Crypto

/// `sha256=<hex HMAC-SHA256(secret, raw body)>`, as Jelou signs its webhooks in `X-Jelou-Signature`.
///
/// Verification works on the exact bytes received (re-serializing JSON would change them) and compares in
/// constant time. The secret never leaves this type: it has no description that shows it.
public struct WebhookSignature: Sendable, CustomStringConvertible {
    /// The header Jelou carries its signature in.
    public static let jelouHeader = "X-Jelou-Signature"

    public enum Verdict: Sendable, Hashable, CustomStringConvertible {
        case valid
        case missingHeader
        /// Not `sha256=` followed by 64 hex digits.
        case malformedHeader
        /// Well formed, but not this body signed with this secret.
        case mismatch

        public var description: String {
            switch self {
            case .valid: "valid"
            case .missingHeader: "signature header missing"
            case .malformedHeader: "signature header is not sha256=<64 hex digits>"
            case .mismatch: "signature does not match the body"
            }
        }
    }

    public static let prefix = "sha256="
    // Kept as bytes: `SymmetricKey` is not Sendable, and making one per request is cheap.
    private let secret: [UInt8]

    public init(secret: some Collection<UInt8>) {
        self.secret = Array(secret)
    }

    private var key: SymmetricKey { SymmetricKey(data: secret) }

    public init(secret: String) {
        self.init(secret: Array(secret.utf8))
    }

    /// The header value for `body`.
    public func sign(_ body: some Collection<UInt8>) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(body), using: key)
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = Array(Self.prefix.utf8)
        for byte in code {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public func verify(header: String?, body: some Collection<UInt8>) -> Verdict {
        guard let header else { return .missingHeader }
        let trimmed = header.utf8.drop { $0 == UInt8(ascii: " ") }
        guard trimmed.starts(with: Self.prefix.utf8) else { return .malformedHeader }
        guard let digest = Self.bytes(fromHex: trimmed.dropFirst(Self.prefix.utf8.count)), digest.count == 32 else {
            return .malformedHeader
        }
        return HMAC<SHA256>.isValidAuthenticationCode(digest, authenticating: Array(body), using: key) ? .valid : .mismatch
    }

    static func bytes(fromHex hex: some Collection<UInt8>) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        var iterator = hex.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = nibble(high), let l = nibble(low) else { return nil }
            out.append(h << 4 | l)
        }
        return out
    }

    public var description: String { "WebhookSignature(HMAC-SHA256, secret [REDACTED])" }
}
