import ConvoBridgeCore
import ConvoBridgeServer
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The bridge's HTTP listener (Hummingbird): the webhook endpoints, `GET /metrics` (Prometheus text format),
/// `GET /healthz` (the process is alive) and `GET /readyz` (store, Kafka and every source; 503 with the failing
/// check otherwise).
final class BridgeHTTPServer: Service, Sendable {
    let settings: BridgeConfiguration.Server
    let receiver: WebhookReceiver
    let probes: BridgeProbes
    let admin: AdminAPI?
    private let logger: Logger
    private let boundPort = OnceValue<Int>()

    init(settings: BridgeConfiguration.Server, receiver: WebhookReceiver, probes: BridgeProbes, admin: AdminAPI?, logger: Logger) {
        self.admin = admin
        self.settings = settings
        self.receiver = receiver
        self.probes = probes
        self.logger = logger
    }

    func port() async -> Int { await boundPort.value() }

    func run() async throws {
        let router = Router()
        receiver.addRoutes(to: router)
        admin?.addRoutes(to: router)
        let probes = self.probes
        router.get("healthz") { _, _ in Response.json(.ok, .object(["alive": .bool(true)])) }
        router.get("readyz") { _, _ in
            let (ready, detail) = await probes.readiness()
            return Response.json(ready ? .ok : .serviceUnavailable, detail)
        }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: await probes.metricsText())))
        }
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "convobridge"),
            onServerRunning: { [boundPort, logger, settings] channel in
                let port = channel.localAddress?.port ?? 0
                boundPort.set(port)
                logger.notice("HTTP server listening", metadata: ["url": "http://\(settings.host):\(port)"])
            },
            logger: logger
        )
        try await application.run()
    }

}
