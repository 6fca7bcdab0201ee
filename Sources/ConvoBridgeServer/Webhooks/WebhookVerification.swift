import ConvoBridgeCore
public import ConvoBridgeSigning

/// How a webhook proves it comes from the platform.
public enum WebhookVerification: Sendable, CustomStringConvertible {
    /// `<header>: sha256=<hex HMAC-SHA256(secret, raw body)>` (Jelou's `X-Jelou-Signature`, or any platform set up
    /// to sign).
    case hmacSHA256(header: String, WebhookSignature)
    /// `<header>: <secret>`: the static header value Chatvolt's and Zild's webhook settings can add. Weaker than a
    /// signature (it does not cover the body), so use HTTPS.
    case sharedSecret(header: String, secret: String)

    public var header: String {
        switch self {
        case .hmacSHA256(let header, _), .sharedSecret(let header, _): header
        }
    }

    /// Why `value` (the header's value, if any) does not verify `body`, or nil when it does.
    public func failure(header value: String?, body: [UInt8]) -> String? {
        switch self {
        case .hmacSHA256(_, let signature):
            let verdict = signature.verify(header: value, body: body)
            return verdict == .valid ? nil : verdict.description
        case .sharedSecret(let header, let secret):
            guard let value else { return "\(header) header missing" }
            return ConstantTime.equals(value.utf8, secret.utf8) ? nil : "\(header) does not match the shared secret"
        }
    }

    /// Never shows the secret.
    public var description: String {
        switch self {
        case .hmacSHA256(let header, _): "HMAC-SHA256 in \(header)"
        case .sharedSecret(let header, _): "shared secret in \(header)"
        }
    }
}
