import Foundation
import Testing

@Suite("convobridge kafka-dev, black box")
struct KafkaDevCommandTests {
    @Test("kcat produces to and consumes from a kafka-dev process; SIGTERM stops it cleanly")
    func kcatThroughKafkaDev() async throws {
        let kcat = try ProcessRunner.program("kcat")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bootstrapFile = directory.appendingPathComponent("bootstrap").path

        let broker = Process()
        broker.executableURL = try ProcessRunner.convobridge
        broker.arguments = ["kafka-dev", "--brokers", "2", "--bootstrap-file", bootstrapFile, "--topic", "cli-test:3"]
        broker.standardOutput = FileHandle.nullDevice
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        defer { if broker.isRunning { broker.interrupt() } }

        let bootstrap = try await ProcessRunner.waitForFile(bootstrapFile)
        #expect(bootstrap.split(separator: ",").count == 2)
        #expect(bootstrap.hasPrefix("127.0.0.1:"))

        let lines = (1...50).map { "key-\($0 % 5):value-\($0)" }
        let produced = try await ProcessRunner.run(
            kcat,
            ["-b", bootstrap, "-P", "-t", "cli-test", "-K:", "-X", "enable.idempotence=true", "-X", "acks=all"],
            input: lines.joined(separator: "\n") + "\n"
        )
        #expect(produced.status == 0, "kcat -P failed: \(produced.stderr)")

        let consumed = try await ProcessRunner.run(
            kcat, ["-b", bootstrap, "-C", "-t", "cli-test", "-o", "beginning", "-e", "-q", "-f", "%k:%s\\n"]
        )
        #expect(consumed.status == 0, "kcat -C failed: \(consumed.stderr)")
        let received = consumed.stdout.split(separator: "\n").map(String.init)
        #expect(Set(received) == Set(lines))
        #expect(received.count == lines.count)
        // Per key, kcat's order survives (one key, one partition).
        for key in 0..<5 {
            let expected = lines.filter { $0.hasPrefix("key-\(key):") }
            #expect(received.filter { $0.hasPrefix("key-\(key):") } == expected)
        }

        // Our own reader, from a third process, sees the same records.
        let tailed = try await ProcessRunner.run(
            try ProcessRunner.convobridge,
            ["tail", "--bootstrap-file", bootstrapFile, "--topic", "cli-test", "--json", "--count", "50"]
        )
        #expect(tailed.status == 0, "tail failed: \(tailed.stderr)")
        #expect(tailed.stdout.split(separator: "\n").count == 50)
        #expect(tailed.stdout.contains(#""key":"key-1""#))

        kill(broker.processIdentifier, SIGTERM)
        try await ProcessRunner.waitForExit(broker)
        #expect(broker.terminationStatus == 0)
    }

    @Test("bad arguments are refused with a message naming them")
    func badArguments() async throws {
        let result = try await ProcessRunner.run(try ProcessRunner.convobridge, ["kafka-dev", "--topic", "events:zero"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--topic events:zero"))
        let tail = try await ProcessRunner.run(try ProcessRunner.convobridge, ["tail"])
        #expect(tail.status != 0)
        #expect(tail.stderr.contains("--bootstrap"))
    }
}
