public import Foundation

/// A real single-node Kafka-compatible broker for the tests that need transactions, fencing and `read_committed`
/// (librdkafka's mock cluster has neither markers nor fencing): `noida-db` from PyPI, started on a free loopback
/// port with a data directory of its own, stopped when the test ends.
public final class NoidaBroker: @unchecked Sendable {
    public struct Unavailable: Error, CustomStringConvertible {
        public var reason: String
        public var description: String {
            "the noida-db broker cannot start (\(reason)); install it with `pip install noida-db==0.2.3` (scripts/setup.sh does)"
        }
    }

    public let port: Int
    public let dataDirectory: URL
    private let process: Process
    private let log: URL

    public var bootstrapServers: String { "127.0.0.1:\(port)" }

    /// Starts a broker and waits until it accepts connections.
    public static func start(timeout: Duration = .seconds(20)) async throws -> NoidaBroker {
        let broker = try NoidaBroker()
        let deadline = ContinuousClock.now + timeout
        while !Self.accepts(port: broker.port) {
            guard broker.process.isRunning else {
                throw Unavailable(reason: "it exited: \(broker.logText.suffix(400))")
            }
            guard ContinuousClock.now < deadline else {
                broker.stop()
                throw Unavailable(reason: "port \(broker.port) did not open within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return broker
    }

    private init() throws {
        guard let executable = Self.find("noida-db") else { throw Unavailable(reason: "noida-db is not on PATH") }
        port = Self.freePort()
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-noida-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        log = dataDirectory.appendingPathComponent("broker.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        process = Process()
        process.executableURL = executable
        process.arguments = [
            "start", "--only", "kafka", "--kafka-port", String(port), "--host", "127.0.0.1", "--data-dir",
            dataDirectory.appendingPathComponent("data").path,
        ]
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit { stop() }

    /// What the broker printed.
    public var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Stops the broker (SIGKILL: its data directory is thrown away anyway).
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    private static func find(_ program: String) -> URL? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return (paths + ["/usr/local/bin", "\(NSHomeDirectory())/.local/bin"])
            .map { URL(fileURLWithPath: $0).appendingPathComponent(program) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// A port the kernel just handed out and released (the broker binds it right after).
    private static func freePort() -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
