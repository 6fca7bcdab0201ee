import Foundation

extension BridgeConfiguration.Server {
    /// Half of what the process may open (its soft file-descriptor limit), keeping room for the store, Kafka and
    /// the platforms' connections, between 16 and 4096: with a low limit the listener stops accepting before the
    /// process runs out of descriptors and `/healthz` stops answering.
    public static func defaultMaxConnections() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 4096 }
        let descriptors = Int(clamping: limit.rlim_cur)
        return min(4096, max(16, (descriptors - 128) / 2))
    }
}
