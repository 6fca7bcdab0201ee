public import Logging
public import ServiceLifecycle

/// Moves the simulator's conversations along their lifecycle on a fixed period, for the demo.
public struct SimulatorTicker: Service {
    let world: SimulatorWorld
    let steps: Int
    let every: Duration
    let logger: Logger

    public init(world: SimulatorWorld, steps: Int, every: Duration, logger: Logger) {
        self.world = world
        self.steps = steps
        self.every = every
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: every) }
            } catch {
                return
            }
            for change in world.advance(steps: steps) {
                logger.info("simulator change", metadata: change.logMetadata)
            }
        }
    }
}
