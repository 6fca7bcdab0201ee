import ArgumentParser
import ConvoBridgeApp
import ConvoBridgeCore

/// `convobridge check-config --config FILE`: validate, and show what the bridge would run with.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration and print the effective settings (defaults and overrides applied, secrets masked).",
        discussion: """
            Exits 0 when the configuration is valid; otherwise lists every problem, each with its key and the fix, \
            and exits 1. Secrets are resolved (so a missing variable or unreadable file is reported) but printed \
            only as ******** with where they come from. Each value's origin is file, default, or the \
            CONVOBRIDGE_<KEY_PATH> variable that overrides it.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: "The configuration file (see config/).") var config: String
    @Option(help: "Output: text (aligned) or json.") var format: Format = .text

    func run() async throws {
        let report = EffectiveConfigurationReport(file: config, configuration: try LoadedConfiguration.load(config))
        switch format {
        case .text: Console.printLine(report.text)
        case .json: Console.printLine(JSONWriter.string(report.json))
        }
    }
}
