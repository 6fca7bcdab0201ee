// Coverage-guided fuzzing (libFuzzer) of `convobridge run --config`: an input is a configuration file's text, loaded
// with every secret the example files name set in the environment. It loads, or it is refused with a
// `ConfigurationError` whose every problem says something and none shows a secret. A crash, a hang, a sanitizer
// report or a broken rule (`broken rule: …` on standard error) is a finding. `swift test` runs the bounded,
// deterministic variant (ConfigurationFuzzTests).

import ConvoBridgeApp
import FuzzDriver

private let environment = [
    "JELOU_API_KEY": "key-123456", "JELOU_CLIENT_SECRET": "secret-123456", "JELOU_SIGNING_SECRET": "whsec-123456",
    "KAFKA_PASSWORD": "kafka-pass-123", "BRIDGE_ADMIN_TOKEN": "admin-token-123", "CHATVOLT_API_KEY": "cv-key-123",
    "CHATVOLT_WEBHOOK_SECRET": "cv-hook-123", "ZILD_JWT": "jwt-123456", "ZILD_WEBHOOK_SECRET": "zild-hook-123",
]
private let loader = ConfigurationLoader(environment: environment)

runFuzzer(fuzzConfiguration)

func fuzzConfiguration(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = String(decoding: fuzzInput(start, count), as: UTF8.self)
    do {
        _ = try loader.load(yaml: text)
    } catch {
        require(!error.problems.isEmpty && error.problems.allSatisfy { !$0.isEmpty }, "a refusal without a reason")
        let description = error.description
        // A YAML error quotes the file's line: only a secret the file does not hold itself must never show.
        for value in environment.values where !text.contains(value) {
            require(!description.contains(value), "a secret in a configuration error")
        }
    }
    return 0
}
