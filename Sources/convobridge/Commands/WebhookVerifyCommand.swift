import ArgumentParser
import ConvoBridgeSigning
import Foundation

/// `convobridge webhook-verify`: checks a delivery's signature the way a receiver does.
struct WebhookVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-verify",
        abstract: "Check a Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature, raw body).",
        discussion: """
            Exit status 0 and 'valid' when one of the signatures matches the secret and the timestamp is within \
            --tolerance of now; 1 with the reason otherwise. The secret is read from an environment variable or a \
            file, never from the command line.
            """
    )

    @Option(help: "Environment variable holding the whsec_… secret.") var secretEnv: String?
    @Option(help: "File holding the whsec_… secret.") var secretFile: String?
    @Option(help: "The webhook-id header.") var id: String
    @Option(help: "The webhook-timestamp header (Unix seconds).") var timestamp: Int64
    @Option(help: "The webhook-signature header (v1,<base64> …).") var signature: String
    @Option(help: "The file holding the exact body received; - for standard input.") var bodyFile = "-"
    @Option(help: "Seconds the timestamp may be off from now.") var tolerance: Int64 = 300

    func run() throws {
        let secret: String
        if let secretEnv {
            guard let value = ProcessInfo.processInfo.environment[secretEnv], !value.isEmpty else {
                throw ValidationError("--secret-env: \(secretEnv) is not set")
            }
            secret = value
        } else if let secretFile {
            guard let value = try? String(contentsOfFile: secretFile, encoding: .utf8) else {
                throw ValidationError("--secret-file \(secretFile): cannot read the file")
            }
            secret = value.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            throw ValidationError("give --secret-env or --secret-file")
        }
        let signer: StandardWebhookSigner
        do {
            signer = try StandardWebhookSigner(secrets: [secret])
        } catch {
            throw ValidationError("the secret: \(error)")
        }
        let body: Data
        if bodyFile == "-" {
            body = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let data = FileManager.default.contents(atPath: bodyFile) else {
                throw ValidationError("--body-file \(bodyFile): cannot read the file")
            }
            body = data
        }
        let now = Int64(Date().timeIntervalSince1970)
        switch signer.verify(id: id, timestamp: timestamp, body: Array(body), signatures: signature, now: now, tolerance: tolerance) {
        case .valid:
            Console.printLine("valid")
        case .noSignature:
            Console.printError("invalid: no v1,<base64> signature in --signature")
            throw ExitCode.failure
        case .timestampOutOfTolerance:
            Console.printError("invalid: the timestamp is \(now - timestamp) s from now, beyond --tolerance \(tolerance) s")
            throw ExitCode.failure
        case .mismatch:
            Console.printError("invalid: no signature matches this body, id and timestamp with this secret")
            throw ExitCode.failure
        }
    }
}
