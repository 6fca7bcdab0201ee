public import ConvoBridgeCore
public import Foundation
import Synchronization

/// Keeps every record the test suites read back from the bridge's topics, as `convobridge tail --json` prints
/// them, in `.build/contract-capture/`, so that `scripts/check-contract.py` validates all of them against the
/// contract's JSON Schemas after `swift test` (the schemas are checked by a real validator, not by this code).
public final class ContractCapture: Sendable {
    public static let shared = ContractCapture()

    /// The directory of capture files in the package's build folder; one file per test process.
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/contract-capture")

    private let file: Mutex<FileHandle?>

    private init() {
        // The start time first, so the newest process's file sorts last.
        let name = "swift-test-\(Timestamp.now().millisecondsSinceEpoch)-\(ProcessInfo.processInfo.processIdentifier).jsonl"
        let url = Self.directory.appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: url.path, contents: nil)
        file = Mutex(try? FileHandle(forWritingTo: url))
    }

    /// Appends one record (a few hundred bytes: a short write, done in place).
    public func record(
        topic: String, partition: Int32, offset: Int64, timestamp: Int64?, key: String?,
        headers: [OutboundRecord.Header], value: [UInt8]?
    ) {
        let line =
            EventLineFormatter().jsonLine(
                topic: topic, partition: partition, offset: offset, key: key,
                headers: headers, value: value, timestamp: timestamp) + "\n"
        file.withLock { handle in handle?.write(Data(line.utf8)) }
    }
}
