import AsyncHTTPClient
public import ConvoBridgeCore
import ConvoBridgeSigning
import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle

/// `convobridge simulate`: an HTTP server that behaves like Jelou's polling endpoints over a synthetic population,
/// with a control API for tests, demos and benchmarks. Runs until graceful shutdown.
public final class PlatformSimulator: Service, Sendable {
    public let configuration: SimulatorConfiguration
    public let world: SimulatorWorld
    private let logger: Logger
    private let boundPort = OnceValue<Int>()

    public init(configuration: SimulatorConfiguration, world: SimulatorWorld, logger: Logger) {
        self.configuration = configuration
        self.world = world
        self.logger = logger
    }

    /// The port the server listens on, once it does.
    public func port() async -> Int { await boundPort.value() }

    /// `http://host:port`, once listening.
    public func baseURL() async -> String { "http://\(configuration.host):\(await port())" }

    public func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let router = Router()
        JelouSimulatorRoutes(configuration: configuration, world: world, logger: logger).addRoutes(to: router)
        ChatvoltSimulatorRoutes(configuration: configuration, world: world, logger: logger).addRoutes(to: router)
        ZildSimulatorRoutes(configuration: configuration, world: world, logger: logger).addRoutes(to: router)
        SimulatorControlRoutes(
            configuration: configuration, world: world,
            sender: WebhookSender(signature: WebhookSignature(secret: configuration.signingSecret), projectID: configuration.projectID),
            client: client, logger: logger
        ).addRoutes(to: router)
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "convobridge-simulator"),
            onServerRunning: { [boundPort] channel in boundPort.set(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        do {
            try await application.runService()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}
