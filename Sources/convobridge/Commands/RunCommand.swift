import ArgumentParser
import ConvoBridgeApp

/// `convobridge run --config FILE`: the bridge in production.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the bridge from a YAML configuration until SIGINT or SIGTERM.",
        discussion: """
            Secrets are read from the environment variables or files the configuration names (api_key_env, \
            client_secret_file…), never from the file itself. Any scalar of the file can be overridden by \
            CONVOBRIDGE_<KEY_PATH>, e.g. CONVOBRIDGE_KAFKA_BOOTSTRAP_SERVERS. On SIGTERM polling stops, the \
            outbox is published to Kafka within relay.drain_deadline, and the store is closed.
            """
    )

    @Option(help: "The configuration file (see config/).") var config: String
    @Flag(help: "Validate the configuration and exit (check-config prints the effective settings too).") var check = false
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let configuration = try LoadedConfiguration.load(config)
        if check {
            Console.printLine(EffectiveConfigurationReport(file: config, configuration: configuration).summary)
            return
        }
        // After loading, so every secret the configuration resolved is masked in every log line.
        let logger = logging.bootstrap(secrets: configuration.secrets)
        let bridge = try Bridge(configuration: configuration, logger: logger)
        try await bridge.run()
    }
}
