import ConvoBridgeApp
import ConvoBridgeTestSupport
import Foundation
import Testing

/// Bounded, deterministic fuzzing of `convobridge run --config`: mutated YAML (the example files and the test
/// configuration) must load or be refused with a ``ConfigurationError`` that names a problem. No crash, no hang.
@Suite("Configuration loader under mutated files")
struct ConfigurationFuzzTests {
    @Test("5,000 mutated configuration files: a configuration or a ConfigurationError, never a crash")
    func mutatedFiles() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config")
        let seeds =
            try ["demo.yaml", "jelou-production.yaml", "chatvolt-production.yaml", "zild-production.yaml"].map {
                Array(try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8).utf8)
            } + [Array(ConfigurationTests.valid.utf8)]
        let environment = ConfigurationTests.environment.merging([
            "BRIDGE_ADMIN_TOKEN": "admin-token-0123456789abcdef0123456789", "CHATVOLT_API_KEY": "cv-key-123",
            "CHATVOLT_WEBHOOK_SECRET": "cv-hook-123", "ZILD_JWT": "jwt-123456",
            "ZILD_WEBHOOK_SECRET": "zild-hook-123", "CRM_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ]) { $1 }
        let loader = ConfigurationLoader(environment: environment)
        var mutator = ByteMutator(seed: 2026)
        var loaded = 0
        var refused = 0
        for iteration in 0..<5_000 {
            let text = String(decoding: mutator.mutate(seeds[iteration % seeds.count]), as: UTF8.self)
            do {
                _ = try loader.load(yaml: text)
                loaded += 1
            } catch {
                refused += 1
                #expect(!error.problems.isEmpty && error.problems.allSatisfy { !$0.isEmpty }, "iteration \(iteration): an empty refusal")
                for secret in environment.values {
                    #expect(!error.description.contains(secret), "iteration \(iteration): a secret in the error")
                }
            }
        }
        #expect(loaded > 100 && refused > 1_000, "both outcomes exercised: \(loaded) loaded, \(refused) refused")
    }
}
