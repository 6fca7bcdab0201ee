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
            let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (0...65535).contains(port) else {
                throw ValidationError("--listen: expected host:port (e.g. 127.0.0.1:8082) or none, found \(listen)")
            }
            address = .init(host: String(parts[0]), port: port)
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
