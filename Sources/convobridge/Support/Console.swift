import ConvoBridgeCore
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

    /// `text` padded to `width` characters for a table column (never cut).
    static func column(_ text: String, _ width: Int) -> String {
        text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0)
    }

    /// A JSON scalar as a table column; `-` when absent.
    static func column(_ value: JSONValue?, _ width: Int) -> String {
        column(value?.scalarText ?? "-", width)
    }
}
