public import ArgumentParser
import ConvoBridgeApp
import ConvoBridgeCore
import Foundation
public import Logging

/// `--log-level` and `--log-format`, shared by every command.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Log format: human or json (one JSON object per line). Default: $CONVOBRIDGE_LOG_FORMAT, else human.")
    var logFormat: LogFormat?

    func validate() throws {
        _ = try resolvedFormat()
    }

    func resolvedFormat() throws -> LogFormat {
        if let logFormat { return logFormat }
        guard let text = ProcessInfo.processInfo.environment["CONVOBRIDGE_LOG_FORMAT"], !text.isEmpty else { return .human }
        guard let format = LogFormat(rawValue: text) else {
            throw ValidationError("CONVOBRIDGE_LOG_FORMAT: expected human or json, found \(text)")
        }
        return format
    }

    /// Sends logs to standard error (standard output is for data), with `secrets` masked, and returns the root
    /// logger.
    func bootstrap(label: String = "convobridge", secrets: [String] = []) -> Logger {
        let level = logLevel
        let format = (try? resolvedFormat()) ?? .human
        let redactor = SecretRedactor(secrets: secrets)
        LoggingSystem.bootstrap { label in
            BridgeLogHandler(label: label, level: level, format: format, redactor: redactor) { line in
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        return Logger(label: label)
    }
}

// swift-format-ignore: AvoidRetroactiveConformances
// The executable is the only place swift-log's levels meet swift-argument-parser; neither package will conform them.
extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
