import ConvoBridgeTestSupport
import Foundation
import Testing

/// `convobridge schema` prints the published files of `deploy/schemas/v1/`, byte for byte.
@Suite("convobridge schema, black box")
struct SchemaCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func published(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("deploy/schemas/v1/\(path)"), encoding: .utf8)
    }

    static func schema(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let result = try await ChildProcess.run(try ProcessRunner.convobridge, ["schema"] + arguments, timeout: .seconds(30))
        return (result.status, result.stdout, result.stderr)
    }

    @Test(
        "Each type's schema is the published file (run scripts/embed-schemas.py after editing one)",
        arguments: [
            ("conversation.discovered", "data/conversation.discovered.json"), ("conversation.closed", "data/conversation.closed.json"),
            ("conversation.vanished", "data/conversation.vanished.json"), ("jelou.message", "data/native.json"),
            ("zild.conversation.finished", "data/native.json"), ("envelope", "envelope.json"), ("state", "state.json"),
            ("snapshot", "snapshot.json"),
        ])
    func printsPublishedFile(type: String, path: String) async throws {
        let result = try await Self.schema(["--type", type])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == (try Self.published(path)), "convobridge schema --type \(type) differs from deploy/schemas/v1/\(path)")
    }

    @Test("Without --type, every published schema, keyed by its path; an unknown type is refused by name")
    func bundleAndUnknown() async throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.root.appendingPathComponent("deploy/schemas/v1").path)
            .filter { $0.hasSuffix(".json") }
        let list = try await Self.schema(["--list"])
        #expect(Set(list.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }) == Set(files))
        let bundle = try await Self.schema([])
        let parsed = try JSONSerialization.jsonObject(with: Data(bundle.stdout.utf8)) as? [String: Any]
        #expect(Set(parsed?.keys.map { $0 } ?? []) == Set(files))
        let unknown = try await Self.schema(["--type", "conversation.exploded"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no schema for 'conversation.exploded'"))
    }
}
