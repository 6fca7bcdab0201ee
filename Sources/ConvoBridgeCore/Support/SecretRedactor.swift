/// Removes known secret values from text before it is logged, returned in an error, or exported.
///
/// Configuration code registers every secret it resolves (API keys, passwords, tokens); text from libraries we
/// do not control (librdkafka logs, HTTP error bodies) is passed through ``redact(_:)`` before it leaves.
public struct SecretRedactor: Sendable, Hashable {
    public static let mask = "[REDACTED]"
    /// Secrets shorter than this are not scrubbed from free text: masking every "a" would destroy the text and
    /// protect nothing. Such secrets are still never logged on their own.
    public static let minimumScrubbedLength = 4

    public private(set) var secrets: [String]

    public init(secrets: [String] = []) {
        self.secrets = []
        for secret in secrets { register(secret) }
    }

    /// Adds a secret to scrub.
    public mutating func register(_ secret: String) {
        guard secret.count >= Self.minimumScrubbedLength, !secrets.contains(secret) else { return }
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

    /// Configuration keys whose values are secrets whatever they hold (librdkafka's and ours).
    public static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["password", "secret", "token", "api_key", "apikey", "key.pem", "credentials", "sasl.jaas"]
            .contains { lowered.contains($0) }
    }
}
