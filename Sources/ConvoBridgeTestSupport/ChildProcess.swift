public import Foundation

/// Runs a program to completion for a test without blocking a thread of Swift's cooperative pool: it has as many
/// threads as cores (two on CI), and a test blocked in `waitUntilExit` or in a pipe read stalls every other test of
/// the process, long enough for their HTTP requests to time out. Standard input, output and error are temporary
/// files, so no pipe can fill up; the exit is awaited with `Task.sleep`.
public enum ChildProcess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public struct TimedOut: Error, CustomStringConvertible {
        public var command: String
        public var timeout: Duration
        public var description: String { "\(command) did not finish within \(timeout)" }
    }

    /// Runs `executable` with `input` on standard input and `environment` added to ours; terminated, and an error
    /// thrown, after `timeout`.
    public static func run(
        _ executable: URL, _ arguments: [String], input: String = "", environment: [String: String] = [:],
        timeout: Duration = .seconds(30)
    ) async throws -> Output {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stdinPath = directory.appendingPathComponent("stdin")
        let stdoutPath = directory.appendingPathComponent("stdout")
        let stderrPath = directory.appendingPathComponent("stderr")
        try Data(input.utf8).write(to: stdinPath)
        try Data().write(to: stdoutPath)
        try Data().write(to: stderrPath)
        let handles = try [
            FileHandle(forReadingFrom: stdinPath), FileHandle(forWritingTo: stdoutPath), FileHandle(forWritingTo: stderrPath),
        ]
        defer { for handle in handles { try? handle.close() } }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = handles[0]
        process.standardOutput = handles[1]
        process.standardError = handles[2]
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw TimedOut(command: ([executable.lastPathComponent] + arguments).joined(separator: " "), timeout: timeout)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: stdoutPath), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: stderrPath), as: UTF8.self)
        )
    }

    /// Runs a program found on `PATH` (through `/usr/bin/env`).
    public static func run(program: String, _ arguments: [String], input: String = "", timeout: Duration = .seconds(30)) async throws -> Output {
        try await run(URL(fileURLWithPath: "/usr/bin/env"), [program] + arguments, input: input, timeout: timeout)
    }
}
