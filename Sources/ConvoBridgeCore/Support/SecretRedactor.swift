/// Removes known secret values from text before it is logged, returned in an error, or exported.
///
/// Configuration code registers every secret it resolves (API keys, passwords, tokens); text from libraries we
/// do not control (librdkafka logs, HTTP error bodies) is passed through ``redact(_:)`` before it leaves.
public struct SecretRedactor: Sendable, Hashable {
    public static let mask = "[REDACTED]"

    public private(set) var secrets: [String]

    public init(secrets: [String] = []) {
        self.secrets = []
        for secret in secrets { register(secret) }
    }

    /// Adds a secret to scrub, whatever its length: a short secret masks much of the text it appears in, which is
    /// better than showing part of a credential.
    public mutating func register(_ secret: String) {
        guard !secret.isEmpty, !secrets.contains(secret) else { return }
        secrets.append(secret)
        // Longest first, so a secret containing another is masked whole.
        secrets.sort { $0.count > $1.count }
    }

    /// `text` with every registered secret replaced by ``mask``.
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacing(secret, with: Self.mask)
        }
        return result
    }

    /// The longest registered secret's length, in UTF-8 bytes (how far past a cut a secret may reach).
    public var longestSecretBytes: Int { secrets.map(\.utf8.count).max() ?? 0 }

    /// Configuration keys whose values are secrets whatever they hold (librdkafka's and ours).
    public static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["password", "secret", "token", "api_key", "apikey", "key.pem", "credentials", "sasl.jaas"]
            .contains { lowered.contains($0) }
    }
}
