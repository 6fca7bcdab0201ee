public import Logging
import Synchronization

/// A logger whose lines (message and metadata) are kept for inspection.
public final class CapturedLogs: Sendable {
    public init() {}

    private let storage = Mutex<[String]>([])

    public var lines: [String] { storage.withLock { $0 } }

    public var logger: Logger {
        Logger(label: "captured") { _ in Handler(logs: self) }
    }

    fileprivate func append(_ line: String) { storage.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            logs.append("\(event.level) \(event.message) \(merged)")
        }
    }
}
