import ConvoBridgeCore
import Testing

@Suite("Secret redaction")
struct SecretRedactorTests {
    @Test("registered secrets are masked wherever they appear, longest first")
    func masks() {
        let redactor = SecretRedactor(secrets: ["abcd1234", "abcd1234-extended", "xy"])
        #expect(redactor.redact("key=abcd1234-extended, other=abcd1234") == "key=[REDACTED], other=[REDACTED]")
        // Any length: a short secret costs some text, never part of a credential.
        #expect(redactor.redact("xyz") == "[REDACTED]z")
        #expect(SecretRedactor(secrets: ["k"]).redact("key") == "[REDACTED]ey")
        #expect(SecretRedactor(secrets: [""]).secrets.isEmpty)
    }

    @Test(
        "secret-looking configuration keys are recognised",
        arguments: [
            ("sasl.password", true), ("ssl.key.password", true), ("api_key_env", true), ("signing_secret", true),
            ("bootstrap.servers", false), ("compression.type", false),
        ])
    func secretKeys(key: String, secret: Bool) {
        #expect(SecretRedactor.isSecretKey(key) == secret)
    }
}
