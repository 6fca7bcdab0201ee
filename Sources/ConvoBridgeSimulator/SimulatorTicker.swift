public import Logging
public import ServiceLifecycle

/// Moves the simulator's conversations along their lifecycle on a fixed period, for the demo.
public struct SimulatorTicker: Service {
    let world: SimulatorWorld
    let steps: Int
    let every: Duration
    let limit: Int?
    let logger: Logger

    /// - Parameter limit: stop after this many steps in all (nil: never).
    public init(world: SimulatorWorld, steps: Int, every: Duration, limit: Int? = nil, logger: Logger) {
        self.world = world
        self.steps = steps
        self.every = every
        self.limit = limit
        self.logger = logger
    }

    public func run() async throws {
        var done = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let limit, done >= limit {
                logger.info("simulator lifecycle steps done", metadata: ["steps": "\(done)"])
                return try await gracefulShutdown()
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: every) }
            } catch {
                return
            }
            let count = limit.map { min(steps, $0 - done) } ?? steps
            done += count
            for change in world.advance(steps: count) {
                logger.info("simulator change", metadata: change.logMetadata)
            }
        }
    }
}
