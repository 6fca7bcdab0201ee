import ConvoBridgeTestSupport
import Foundation
import Testing

/// `convobridge webhook-verify` against the Standard Webhooks specification's own example (secret, id, timestamp,
/// body and signature as published), so the check stands apart from our signer.
@Suite("convobridge webhook-verify, black box")
struct WebhookVerifyCommandTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp = "1614265330"
    static let body = #"{"test": 2432232314}"#
    static let signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    static func verify(
        signature: String = signature, body: String = body, tolerance: String? = "1000000000"
    ) async throws
        -> ChildProcess.Output
    {
        var arguments = ["webhook-verify", "--secret-env", "SPEC_SECRET", "--id", id, "--timestamp", timestamp, "--signature", signature]
        if let tolerance { arguments += ["--tolerance", tolerance] }
        return try await ChildProcess.run(try ProcessRunner.convobridge, arguments, input: body, environment: ["SPEC_SECRET": secret])
    }

    @Test("The specification's example is valid; one changed byte of the body, or a stale timestamp, is not")
    func specificationExample() async throws {
        let valid = try await Self.verify()
        #expect(valid.status == 0 && valid.stdout == "valid\n", "\(valid.stderr)")
        // During a rotation the header carries several signatures; any one matching is enough.
        let rotated = try await Self.verify(signature: "v1,bm90IHRoaXMgb25l " + Self.signature)
        #expect(rotated.status == 0)
        let tampered = try await Self.verify(body: #"{"test": 2432232315}"#)
        #expect(tampered.status == 1 && tampered.stderr.contains("no signature matches"))
        let stale = try await Self.verify(tolerance: nil)
        #expect(stale.status == 1 && stale.stderr.contains("beyond --tolerance 300 s"))
        let noSignature = try await Self.verify(signature: "v2,abc")
        #expect(noSignature.status == 1 && noSignature.stderr.contains("no v1,<base64> signature"))
    }

    @Test("A secret not in the whsec_ form, or one not set, is refused by name, never printed")
    func badSecrets() async throws {
        let unset = try await ChildProcess.run(
            try ProcessRunner.convobridge,
            ["webhook-verify", "--secret-env", "NOT_SET_ANYWHERE", "--id", "a", "--timestamp", "1", "--signature", "v1,x"])
        #expect(unset.status != 0 && unset.stderr.contains("NOT_SET_ANYWHERE is not set"))
        let malformed = try await ChildProcess.run(
            try ProcessRunner.convobridge, ["webhook-verify", "--secret-env", "S", "--id", "a", "--timestamp", "1", "--signature", "v1,x"],
            environment: ["S": "plain-secret-value"])
        #expect(malformed.status != 0 && malformed.stderr.contains("whsec_") && !malformed.stderr.contains("plain-secret-value"))
    }
}
