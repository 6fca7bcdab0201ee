import Crypto
import Foundation

/// Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256 of
/// "{webhook-id}.{webhook-timestamp}.{body}">`, one per secret, space-separated, so a receiver rotating its secret
/// accepts either during the change.
///
/// Secrets are given in the `whsec_<base64>` form (the key is the decoded bytes); the key never leaves this type.
public struct StandardWebhookSigner: Sendable, CustomStringConvertible {
    public static let secretPrefix = "whsec_"

    public enum SecretProblem: Error, Sendable, Hashable, CustomStringConvertible {
        case missingPrefix
        case notBase64
        case tooShort(Int)
        case tooLong

        public var description: String {
            switch self {
            case .missingPrefix: "a signing secret has the form whsec_<base64>"
            case .notBase64: "the part after whsec_ is not base64"
            case .tooShort(let count): "the key is \(count) bytes; at least 24 are needed (e.g. whsec_$(openssl rand -base64 32))"
            case .tooLong: "the key is over 64 bytes"
            }
        }
    }

    /// The verdict of ``verify(id:timestamp:body:signatures:now:tolerance:)``.
    public enum Verdict: Sendable, Hashable {
        case valid
        case noSignature
        case timestampOutOfTolerance
        case mismatch
    }

    private let keys: [[UInt8]]

    /// - Parameter secrets: the current secret first; during a rotation, the old one after it.
    /// - Throws: ``SecretProblem`` naming what is wrong with a secret (never the secret).
    public init(secrets: [String]) throws(SecretProblem) {
        var keys: [[UInt8]] = []
        for secret in secrets { keys.append(try Self.key(of: secret)) }
        self.keys = keys
    }

    /// The key bytes of a `whsec_` secret.
    public static func key(of secret: String) throws(SecretProblem) -> [UInt8] {
        guard secret.hasPrefix(secretPrefix) else { throw .missingPrefix }
        guard let data = Data(base64Encoded: String(secret.dropFirst(secretPrefix.count))) else { throw .notBase64 }
        guard data.count >= 24 else { throw .tooShort(data.count) }
        guard data.count <= 64 else { throw .tooLong }
        return Array(data)
    }

    /// The `webhook-signature` header's value for one message.
    public func signature(id: String, timestamp: Int64, body: some Collection<UInt8>) -> String {
        let content = Self.signedContent(id: id, timestamp: timestamp, body: body)
        return keys.map { key in
            "v1," + Data(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))).base64EncodedString()
        }.joined(separator: " ")
    }

    /// Checks a `webhook-signature` value the way a receiver does: the timestamp within `tolerance` of `now`, and any
    /// `v1,` signature of the header matching any key, compared in constant time.
    public func verify(
        id: String, timestamp: Int64, body: some Collection<UInt8>, signatures header: String, now: Int64, tolerance: Int64 = 300
    ) -> Verdict {
        let (difference, overflow) = now.subtractingReportingOverflow(timestamp)
        guard !overflow, difference >= -tolerance, difference <= tolerance else { return .timestampOutOfTolerance }
        let given = header.split(separator: " ").compactMap { part -> [UInt8]? in
            guard part.hasPrefix("v1,") else { return nil }
            return Data(base64Encoded: String(part.dropFirst(3))).map(Array.init)
        }
        guard !given.isEmpty else { return .noSignature }
        let content = Self.signedContent(id: id, timestamp: timestamp, body: body)
        for key in keys {
            let symmetric = SymmetricKey(data: key)
            for signature in given where HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: content, using: symmetric) {
                return .valid
            }
        }
        return .mismatch
    }

    static func signedContent(id: String, timestamp: Int64, body: some Collection<UInt8>) -> [UInt8] {
        var content = Array("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        return content
    }

    public var description: String { "StandardWebhookSigner(\(keys.count) secret(s))" }
}
