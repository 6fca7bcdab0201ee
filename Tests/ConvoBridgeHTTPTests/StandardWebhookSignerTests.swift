import ConvoBridgeSigning
import Testing

@Suite("Standard Webhooks signatures")
struct StandardWebhookSignerTests {
    // The example of the Standard Webhooks specification.
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let body = Array(#"{"test": 2432232314}"#.utf8)

    @Test("Signs the specification's example as published, and verifies it within the tolerance only")
    func specificationExample() throws {
        let signer = try StandardWebhookSigner(secrets: [Self.secret])
        let signature = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Self.body)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(
            signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Self.body, signatures: signature, now: 1_614_265_400)
                == .valid)
        #expect(
            signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Self.body, signatures: signature, now: 1_614_266_000)
                == .timestampOutOfTolerance)
        #expect(signer.verify(id: "other", timestamp: 1_614_265_330, body: Self.body, signatures: signature, now: 1_614_265_330) == .mismatch)
        // Hostile timestamps: no overflow, just out of tolerance.
        #expect(signer.verify(id: "a", timestamp: .min, body: [], signatures: signature, now: .max) == .timestampOutOfTolerance)
    }

    @Test("During a rotation both secrets sign; a receiver with either accepts")
    func rotation() throws {
        let old = "whsec_" + String(repeating: "QUJD", count: 8)
        let both = try StandardWebhookSigner(secrets: [Self.secret, old])
        let header = both.signature(id: "a", timestamp: 10, body: Self.body)
        #expect(header.split(separator: " ").count == 2)
        for secret in [Self.secret, old] {
            #expect(
                try StandardWebhookSigner(secrets: [secret]).verify(id: "a", timestamp: 10, body: Self.body, signatures: header, now: 10) == .valid)
        }
    }

    @Test("Secrets that are not whsec_ + base64 of 24 to 64 bytes are refused")
    func secrets() {
        #expect(throws: StandardWebhookSigner.SecretProblem.missingPrefix) {
            try StandardWebhookSigner(secrets: ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        }
        #expect(throws: StandardWebhookSigner.SecretProblem.notBase64) { try StandardWebhookSigner(secrets: ["whsec_!!!"]) }
        #expect(throws: StandardWebhookSigner.SecretProblem.tooShort(3)) { try StandardWebhookSigner(secrets: ["whsec_QUJD"]) }
    }
}
