import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a secret named by `<key>_file` (a Kubernetes or Docker secret, a systemd credential).
///
/// A secret is short: a device, a pipe or a large file is the wrong path (a mistyped `/dev/zero`, a log file) and is
/// refused, rather than read without end.
enum SecretFile {
    static let maximumBytes = 64 * 1024

    struct Refusal: LocalizedError {
        let errorDescription: String?
    }

    static func read(_ path: String) throws -> String {
        var info = stat()
        // stat follows symbolic links, as Kubernetes' `..data/` secret links need.
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw Refusal(errorDescription: "not a regular file (a directory, a device or a pipe)")
            }
            guard info.st_size <= maximumBytes else {
                throw Refusal(errorDescription: "\(info.st_size) bytes, over the \(maximumBytes / 1024) KiB a secret file may hold")
            }
        }
        // A missing or unreadable file gets Foundation's own explanation.
        return try String(contentsOfFile: path, encoding: .utf8)
    }
}
