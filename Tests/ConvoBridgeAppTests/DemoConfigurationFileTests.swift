import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeDemo
import ConvoBridgeKafka
import ConvoBridgeSimulator
import Foundation
import Testing

/// `convobridge demo` builds its configuration in code (its ports and files are its own); `config/demo.yaml` is the
/// same configuration as a file. Every setting the two share must agree.
@Suite("The demo's configuration against config/demo.yaml")
struct DemoConfigurationFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("Schedules, HTTP policy, discovery, webhook, relay, Kafka and server limits agree")
    func agree() throws {
        // The file names its secrets relative to the repository root, as its header's commands run there.
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(Self.root.path)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        let file = try ConfigurationLoader(environment: [:]).load(file: Self.root.appendingPathComponent("config/demo.yaml").path)
        let simulator = SimulatorConfiguration()
        let code = DemoConfiguration.bridge(
            simulatorURL: "http://127.0.0.1:8089", simulator: simulator, bootstrapServers: file.kafka.publisher.bootstrapServers,
            storePath: file.storePath)

        #expect(code.kafka.publisher == file.kafka.publisher)
        #expect(code.kafka.encoder == file.kafka.encoder)
        #expect(code.relay.batchSize == file.relay.batchSize)
        #expect(code.relay.maxBacklog == file.relay.maxBacklog)
        #expect(code.relay.drainDeadline == file.relay.drainDeadline)
        #expect(code.storeMinimumFreeBytes == file.storeMinimumFreeBytes)
        #expect(code.server?.host == file.server?.host)
        #expect(code.server?.maxBodyBytes == file.server?.maxBodyBytes)
        #expect(code.server?.limits == file.server?.limits)
        let fromCode = try #require(code.sources.first)
        let fromFile = try #require(file.sources.first)
        #expect(code.sources.count == 1 && file.sources.count == 1)
        #expect(fromCode.name == fromFile.name)
        #expect(fromCode.platform == fromFile.platform)
        #expect(fromCode.schedule == fromFile.schedule)
        #expect(fromCode.http == fromFile.http)
        #expect(fromCode.vanishAfterNotFound == fromFile.vanishAfterNotFound)
        #expect(fromCode.discovery?.interval == fromFile.discovery?.interval)
        #expect(fromCode.discovery?.window == fromFile.discovery?.window)
        #expect(fromCode.discovery?.pageSize == fromFile.discovery?.pageSize)
        #expect(fromCode.discovery?.maxPages == fromFile.discovery?.maxPages)
        #expect(fromCode.webhook?.path == fromFile.webhook?.path)
        #expect(fromCode.webhook?.format == fromFile.webhook?.format)
        #expect(fromCode.webhook?.replayWindow == fromFile.webhook?.replayWindow)
        #expect(fromCode.webhook?.rememberFor == fromFile.webhook?.rememberFor)
        #expect(fromCode.secrets.sorted() == fromFile.secrets.sorted(), "the simulator's credentials are the files' values")
    }
}
