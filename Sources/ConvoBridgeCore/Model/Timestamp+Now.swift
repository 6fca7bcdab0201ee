#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Timestamp {
    /// The wall clock now (`CLOCK_REALTIME`), to the millisecond, rounded down.
    public static func now() -> Timestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Timestamp(millisecondsSinceEpoch: Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000)
    }
}

extension TimeSource {
    /// The real clocks: monotonic time for waits, the wall clock for observation times.
    public static var system: TimeSource { TimeSource(clock: ContinuousClock(), wallClock: Timestamp.now) }
}
