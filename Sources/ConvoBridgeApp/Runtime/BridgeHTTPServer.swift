import ConvoBridgeCore
import ConvoBridgeServer
import Hummingbird
import Logging
import ServiceLifecycle

/// The bridge's HTTP listener (Hummingbird): the webhook endpoints, and `GET /health`.
final class BridgeHTTPServer: Service, Sendable {
    let settings: BridgeConfiguration.Server
    let receiver: WebhookReceiver
    private let logger: Logger
    private let boundPort = OnceValue<Int>()

    init(settings: BridgeConfiguration.Server, receiver: WebhookReceiver, logger: Logger) {
        self.settings = settings
        self.receiver = receiver
        self.logger = logger
    }

    func port() async -> Int { await boundPort.value() }

    func run() async throws {
        let router = Router()
        receiver.addRoutes(to: router)
        router.get("health") { _, _ in "ok\n" }
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "convobridge"),
            onServerRunning: { [boundPort] channel in boundPort.set(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await application.run()
    }
}
