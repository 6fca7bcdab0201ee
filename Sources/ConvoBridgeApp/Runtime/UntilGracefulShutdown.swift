import ServiceLifecycle

/// Runs `body` until it returns or graceful shutdown begins; the cancellation that ends it on shutdown is the
/// normal way out, not an error.
public func untilGracefulShutdown(_ body: @escaping @Sendable () async throws -> Void) async throws {
    do {
        try await cancelWhenGracefulShutdown(body)
    } catch is CancellationError where Task.isShuttingDownGracefully {
        return
    }
}
