import ArgumentParser
import ConvoBridgeApp

/// `convobridge deliver --config FILE`: only the outbound webhooks, apart from the pollers.
struct DeliverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Deliver the events topic to the configuration's webhook subscriptions until SIGINT or SIGTERM.",
        discussion: """
            Reads kafka and webhooks from the configuration (`run` also delivers when webhooks.subscriptions are \
            set; use deliver to run delivery in processes of its own). Each subscription reads the events topic in \
            the consumer group <webhooks.group_id>.<name>; several deliver processes share its partitions. \
            /healthz, /readyz, /metrics and the admin API's /admin/subscriptions (with server.admin_token_*) are \
            served on --listen.
            """
    )

    @Option(help: "The configuration file (see config/).") var config: String
    @Option(help: "host:port for /healthz, /readyz, /metrics and /admin/subscriptions; 'none' for no listener.")
    var listen = "127.0.0.1:8082"
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let configuration = try LoadedConfiguration.load(config)
        var address: BridgeConfiguration.Server.Address?
        if listen != "none" {
            guard let parsed = BridgeConfiguration.Server.Address(parsing: listen) else {
                throw ValidationError("--listen: expected host:port (e.g. 127.0.0.1:8082) or none, found \(listen)")
            }
            address = parsed
        }
        let logger = logging.bootstrap(secrets: configuration.secrets)
        do {
            try await WebhookDeliveryProcess(configuration: configuration, listen: address, logger: logger).run()
        } catch let error as ConfigurationError {
            Console.printError("\(config): \(error)")
            throw ExitCode.failure
        }
    }
}
