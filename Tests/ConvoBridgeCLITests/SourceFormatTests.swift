import ConvoBridgeTestSupport
import Foundation
import Testing

/// The sources follow `.swift-format` (swift-format, shipped with the toolchain): run
/// `swift format -i -r -p Sources Tests Package.swift` before committing.
@Suite("Source formatting")
struct SourceFormatTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("swift format lint finds nothing in Sources, Tests and Package.swift", .timeLimit(.minutes(2)))
    func formatted() async throws {
        let paths = ["Sources", "Tests", "Package.swift"].map { Self.root.appendingPathComponent($0).path }
        let result = try await ChildProcess.run(
            program: "swift", ["format", "lint", "--strict", "--recursive", "--parallel"] + paths,
            timeout: .seconds(100))
        #expect(result.status == 0, "run `swift format -i -r -p Sources Tests Package.swift`:\n\(result.stderr.prefix(4000))")
    }
}
