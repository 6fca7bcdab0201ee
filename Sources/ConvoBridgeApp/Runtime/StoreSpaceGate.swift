import ConvoBridgeCore
import ConvoBridgeStore
import Logging

/// Holds back work that writes to the store while its disk is full, and lets it go once a probe write succeeds.
///
/// A write refused for lack of space changes nothing (SQLite rolls the transaction back), so the answer that could
/// not be stored is simply asked again later: pausing loses nothing, and keeps the bridge from hammering the
/// platforms with requests whose answers it cannot keep.
struct StoreSpaceGate: Sendable {
    let store: BridgeStore
    let time: TimeSource
    /// How often a paused writer probes for space.
    var probeInterval: Duration = .seconds(1)

    /// Returns at once while the store writes; otherwise logs that `work` is paused, probes every `probeInterval`
    /// until a write commits again, and logs the resumption. Throws only `CancellationError`.
    func waitUntilWritable(_ work: String, logger: Logger) async throws {
        guard store.isDiskFull else { return }
        logger.error(
            "\(work) paused: the store's disk is full (or below store.min_free_space); nothing is lost, it resumes when space is freed",
            metadata: [
                "store": "\(store.path)", "free_bytes": "\(store.freeBytes.map(String.init) ?? "unknown")",
                "min_free_bytes": "\(store.minimumFreeBytes)",
            ])
        while !(await store.probeWritable()) {
            try await time.sleep(for: probeInterval)
        }
        logger.notice("\(work) resumed: the store can write again", metadata: ["store": "\(store.path)"])
    }
}
