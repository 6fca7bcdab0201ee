import Foundation

/// Finds the programs black-box tests run (with `ChildProcess`), and waits for what they write.
struct ProcessRunner {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The built `convobridge` binary, next to the test bundle.
    static var convobridge: URL {
        get throws {
            let candidates = [
                URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("convobridge"),
                URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent(".build/debug/convobridge"),
            ]
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
                throw Failure(description: "convobridge binary not found in \(candidates.map(\.path)); run 'swift build' first")
            }
            return found
        }
    }

    /// Finds a program on PATH.
    static func program(_ name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw Failure(description: "\(name) is not installed (apt-get install -y \(name))")
    }

    /// Waits up to `timeout` for a file to exist and be non-empty, and returns its trimmed text.
    static func waitForFile(_ path: String, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure(description: "\(path) did not appear within \(timeout)")
    }

    /// Waits up to `timeout` for a process to exit.
    static func waitForExit(_ process: Process, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.interrupt()
                throw Failure(description: "process \(process.processIdentifier) did not exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

extension ProcessRunner {
    /// Starts a long-running process with its output going to files (or nowhere).
    static func start(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:],
        stdin: Pipe? = nil, stdout: String? = nil, stderr: String? = nil
    ) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        func handle(_ path: String?) throws -> FileHandle {
            guard let path else { return FileHandle.nullDevice }
            FileManager.default.createFile(atPath: path, contents: nil)
            return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        }
        if let stdin { process.standardInput = stdin }
        process.standardOutput = try handle(stdout)
        process.standardError = try handle(stderr)
        try process.run()
        return process
    }

    /// Waits up to `timeout` for `text` to appear in a file.
    static func waitForText(_ text: String, inFile path: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let contents = try? String(contentsOfFile: path, encoding: .utf8), contents.contains(text) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "'\(text)' did not appear in \(path) within \(timeout)")
    }
}

/// A temporary directory for one black-box test's files (configuration, logs, the store).
struct Scratch {
    let directory: URL

    init(_ prefix: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// `kafka-dev` and `simulate` as their own processes, and their addresses; stop them with ``stop()``.
struct BrokerAndSimulator {
    let broker: Process
    let bootstrap: String
    let simulator: Process
    let url: String

    /// - Parameter simulate: arguments for `convobridge simulate` after `--port 0`.
    static func start(_ binary: URL, in scratch: Scratch, simulate: [String]) async throws -> BrokerAndSimulator {
        let broker = try ProcessRunner.start(binary, ["kafka-dev", "--bootstrap-file", scratch.path("bootstrap")], stderr: scratch.path("kafka.log"))
        let simulator = try ProcessRunner.start(
            binary, ["simulate", "--port", "0"] + simulate,
            stdout: scratch.path("simulator.url"), stderr: scratch.path("simulator.log"))
        return BrokerAndSimulator(
            broker: broker, bootstrap: try await ProcessRunner.waitForFile(scratch.path("bootstrap")),
            simulator: simulator, url: try await ProcessRunner.waitForFile(scratch.path("simulator.url")))
    }

    func stop() {
        for process in [broker, simulator] where process.isRunning { process.interrupt() }
    }
}
