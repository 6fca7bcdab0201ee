import ConvoBridgeServer
import ConvoBridgeSigning
import ConvoBridgeTestSupport
import Testing

/// Bounded, deterministic fuzzing of the webhook check: mutated bodies and headers through both verification
/// kinds. No crash, and nothing but the untouched body with an equivalent header ever verifies.
@Suite("Webhook verification under mutated input")
struct WebhookVerificationFuzzTests {
    static let secret = "whsec-0123456789abcdef"
    static let body = WebhookReceiverTests.close
    static let signature = WebhookSignature(secret: secret)

    @Test("20,000 mutated bodies and signature headers: only the original body with its own digest verifies")
    func signatures() {
        let verification = WebhookVerification.hmacSHA256(header: "X-Jelou-Signature", Self.signature)
        let valid = Self.signature.sign(Self.body)
        var mutator = ByteMutator(seed: 8)
        var verdicts: [String: Int] = [:]
        for iteration in 0..<20_000 {
            // A third of the runs mutate the body, a third the header, a third both.
            let mutatesBody = iteration % 3 != 1
            let mutatesHeader = iteration % 3 != 0
            let body = mutatesBody ? mutator.mutate(Self.body) : Self.body
            let header = mutatesHeader ? String(decoding: mutator.mutate(Array(valid.utf8)), as: UTF8.self) : valid
            let failure = verification.failure(header: header, body: body)
            verdicts[failure ?? "valid", default: 0] += 1
            // The same digest may be spelled differently (the hex digits' case, leading spaces): that is still the
            // signature. The prefix is `sha256=` exactly (a mutation found `shA256=` taken for it here once).
            let trimmed = header.drop { $0 == " " }
            let sameDigest =
                trimmed.hasPrefix(WebhookSignature.prefix)
                && WebhookSignature.prefix + trimmed.dropFirst(WebhookSignature.prefix.count).lowercased() == valid
            #expect((failure == nil) == (body == Self.body && sameDigest), "iteration \(iteration): \(failure ?? "valid")")
        }
        // Every verdict must occur, or the mutations did not exercise the check.
        #expect(verdicts.keys.count >= 3, "\(verdicts)")
        #expect(verdicts["signature does not match the body", default: 0] > 1_000, "\(verdicts)")
    }

    @Test("20,000 mutated shared-secret headers: only the exact secret passes")
    func sharedSecrets() {
        let verification = WebhookVerification.sharedSecret(header: "X-Hook", secret: Self.secret)
        var mutator = ByteMutator(seed: 9)
        var passed = 0
        for _ in 0..<20_000 {
            let header = String(decoding: mutator.mutate(Array(Self.secret.utf8)), as: UTF8.self)
            let failure = verification.failure(header: header, body: Self.body)
            #expect((failure == nil) == (header == Self.secret))
            if failure == nil { passed += 1 }
        }
        #expect(verification.failure(header: Self.secret, body: []) == nil)
        #expect(verification.failure(header: nil, body: Self.body) == "X-Hook header missing")
        #expect(passed < 100, "mutations that happen to restore the secret are rare: \(passed)")
    }
}
