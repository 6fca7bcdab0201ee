import Foundation

/// Standard output without buffering: a script or test reading our output sees each line when it is written.
enum Console {
    static func printLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// A message for the operator on standard error.
    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
