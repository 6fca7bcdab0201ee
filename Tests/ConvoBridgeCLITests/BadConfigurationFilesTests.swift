import ConvoBridgeTestSupport
import Foundation
import Testing

/// Every file in `Tests/Fixtures/bad-configs` is refused by `check-config` and by `run`, with a message naming the
/// key its `# expect:` lines give, exit status 1, and never the secret value. The fault suite runs the same files.
@Suite("Bad configuration files, black box")
struct BadConfigurationFilesTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bad-configs")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test("There is a good number of bad files")
    func inventory() {
        #expect(Self.files.count >= 15)
    }

    @Test("Each bad file is refused, naming its key", arguments: files)
    func refused(file: String) async throws {
        let path = Self.directory.appendingPathComponent(file).path
        let keys = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("# expect:") }.map { $0.dropFirst("# expect:".count).trimmingCharacters(in: .whitespaces) }
        #expect(!keys.isEmpty, "\(file) says which key it breaks")
        for command in [["check-config", "--config", path], ["run", "--config", path]] {
            let result = try await ChildProcess.run(try ProcessRunner.convobridge, command, environment: ["BAD_CONFIG_SECRET": "s3cret-value"])
            #expect(result.status == 1, "\(command[0]) \(file): \(result.stderr)")
            for key in keys { #expect(result.stderr.contains(key), "\(command[0]) \(file) names \(key): \(result.stderr)") }
            #expect(!result.stderr.contains("s3cret-value") && !result.stdout.contains("s3cret-value"), "no secret echoed")
        }
    }
}
