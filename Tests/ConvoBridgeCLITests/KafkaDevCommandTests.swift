import ConvoBridgeTestSupport
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
        let produced = try await ChildProcess.run(
            kcat,
            ["-b", bootstrap, "-P", "-t", "cli-test", "-K:", "-X", "enable.idempotence=true", "-X", "acks=all"],
            input: lines.joined(separator: "\n") + "\n"
        )
        #expect(produced.status == 0, "kcat -P failed: \(produced.stderr)")

        let consumed = try await ChildProcess.run(
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
        let tailed = try await ChildProcess.run(
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

    @Test("Fault commands on standard input: all brokers down (clients get no metadata), up again, a bad command refused by name")
    func faultCommands() async throws {
        let kcat = try ProcessRunner.program("kcat")
        let scratch = try Scratch("kafka-dev-faults")
        defer { scratch.remove() }
        let commands = Pipe()
        let broker = try ProcessRunner.start(
            try ProcessRunner.convobridge, ["kafka-dev", "--bootstrap-file", scratch.path("bootstrap")],
            stdin: commands, stderr: scratch.path("kafka.log"))
        defer { if broker.isRunning { broker.interrupt() } }
        let bootstrap = try await ProcessRunner.waitForFile(scratch.path("bootstrap"))
        func metadata() async throws -> ChildProcess.Output {
            try await ChildProcess.run(kcat, ["-b", bootstrap, "-L", "-m", "2"], timeout: .seconds(20))
        }
        #expect(try await metadata().status == 0)

        commands.fileHandleForWriting.write(Data("down\n".utf8))
        try await ProcessRunner.waitForText("broker(s) 1 down", inFile: scratch.path("kafka.log"), timeout: .seconds(10))
        #expect(try await metadata().status != 0, "no metadata while the broker is down")

        commands.fileHandleForWriting.write(Data("up\nexplode now\n".utf8))
        try await ProcessRunner.waitForText("broker(s) 1 up", inFile: scratch.path("kafka.log"), timeout: .seconds(10))
        #expect(try await metadata().status == 0)
        try await ProcessRunner.waitForText("'explode now': unknown command", inFile: scratch.path("kafka.log"), timeout: .seconds(10))

        try commands.fileHandleForWriting.close()
        #expect(broker.isRunning, "the end of standard input does not stop the cluster")
        kill(broker.processIdentifier, SIGTERM)
        try await ProcessRunner.waitForExit(broker)
        #expect(broker.terminationStatus == 0)
    }

    @Test("bad arguments are refused with a message naming them")
    func badArguments() async throws {
        let result = try await ChildProcess.run(try ProcessRunner.convobridge, ["kafka-dev", "--topic", "events:zero"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--topic events:zero"))
        let tail = try await ChildProcess.run(try ProcessRunner.convobridge, ["tail"])
        #expect(tail.status != 0)
        #expect(tail.stderr.contains("--bootstrap"))
    }
}
