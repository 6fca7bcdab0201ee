import ConvoBridgeCore
import ConvoBridgeServer
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// One of the bridge's HTTP listeners (Hummingbird). Each serves `GET /healthz` (the process is alive) and
/// `GET /readyz` (store, Kafka and every source; 503 with the failing check otherwise), and what its roles say: the
/// webhook endpoints, `GET /metrics` (Prometheus text format), the admin API. Webhooks are public; the admin API and
/// the metrics default to a loopback listener of their own (`server.admin_listen`, `server.metrics_listen`).
///
/// Every listener closes idle connections, and those of clients too slow to send their request head or body
/// (``RequestDeadlineHandler``), and stops accepting beyond `server.max_connections`.
final class BridgeHTTPServer: Service, Sendable {
    /// What a listener serves besides the probes.
    enum Role: String, Sendable, Hashable, Comparable {
        case webhooks, metrics, admin

        static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    let address: BridgeConfiguration.Server.Address
    let roles: Set<Role>
    let limits: BridgeConfiguration.Server.Limits
    let receiver: WebhookReceiver?
    let probes: any ListenerProbes
    let admin: AdminAPI?
    let subscriptionAdmin: SubscriptionAdminAPI?
    private let metrics: BridgeMetrics
    private let logger: Logger
    private let boundPort = OnceValue<Int>()

    init(
        address: BridgeConfiguration.Server.Address, roles: Set<Role>, limits: BridgeConfiguration.Server.Limits,
        receiver: WebhookReceiver?, probes: any ListenerProbes, admin: AdminAPI?, subscriptionAdmin: SubscriptionAdminAPI? = nil,
        metrics: BridgeMetrics, logger: Logger
    ) {
        self.subscriptionAdmin = subscriptionAdmin
        self.address = address
        self.roles = roles
        self.limits = limits
        self.admin = admin
        self.receiver = receiver
        self.probes = probes
        self.metrics = metrics
        self.logger = logger
    }

    func port() async -> Int { await boundPort.value() }

    func run() async throws {
        let router = Router()
        if roles.contains(.webhooks) { receiver?.addRoutes(to: router) }
        if roles.contains(.admin) {
            admin?.addRoutes(to: router)
            subscriptionAdmin?.addRoutes(to: router)
        }
        let probes = self.probes
        router.get("healthz") { _, _ in Response.json(.ok, .object(["alive": .bool(true)])) }
        router.get("readyz") { _, _ in
            let (ready, detail) = probes.ready()
            return Response.json(ready ? .ok : .serviceUnavailable, detail)
        }
        if roles.contains(.metrics) {
            router.get("metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: await probes.metricsText())))
            }
        }
        let limits = self.limits
        let metrics = self.metrics
        let listener = roles.sorted().map(\.rawValue).joined(separator: ",")
        let channel = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                RequestDeadlineHandler(
                    headerTimeout: .milliseconds(limits.headerTimeout.wholeMilliseconds),
                    bodyTimeout: .milliseconds(limits.bodyTimeout.wholeMilliseconds)
                ) { phase in
                    metrics.slowClientClosed(listener: listener, phase: phase)
                }
            ],
            idleTimeout: .milliseconds(limits.idleTimeout.wholeMilliseconds)
        )
        let application = Application(
            router: router,
            server: .http1(configuration: channel),
            configuration: ApplicationConfiguration(
                address: .hostname(address.host, port: address.port), serverName: "convobridge",
                availableConnectionsDelegate: .maximum(limits.maxConnections, logger: logger)),
            onServerRunning: { [boundPort, logger, address, roles] channel in
                let port = channel.localAddress?.port ?? 0
                boundPort.set(port)
                logger.notice(
                    "HTTP server listening",
                    metadata: [
                        "url": "http://\(address.host):\(port)",
                        "serves": "\(roles.sorted().map(\.rawValue).joined(separator: ", "))",
                    ])
            },
            logger: logger
        )
        try await application.run()
    }
}
