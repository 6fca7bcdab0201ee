import ArgumentParser
import ConvoBridgeApp

/// Loads `--config FILE` for a command, turning problems into the command's error (exit status 1).
enum LoadedConfiguration {
    static func load(_ file: String) throws -> BridgeConfiguration {
        do {
            return try ConfigurationLoader().load(file: file)
        } catch {
            Console.printError("\(file): \(error)")
            throw ExitCode.failure
        }
    }
}
