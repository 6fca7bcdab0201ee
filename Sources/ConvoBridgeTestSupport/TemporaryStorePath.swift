import Foundation

/// A path for a new SQLite store, in a directory of its own under the system's temporary directory (SQLite puts its
/// `-wal` and `-shm` files beside it).
public enum TemporaryStorePath {
    public static func make(prefix: String = "convobridge-store") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("store.sqlite").path
    }
}
