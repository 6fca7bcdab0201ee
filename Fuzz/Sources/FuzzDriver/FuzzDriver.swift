import CLibFuzzer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs libFuzzer on `test` with the process's arguments (`-max_total_time=`, corpus directories…) and exits with
/// its status: 0 when the time ran out without a finding.
///
/// SwiftPM gives every executable target a `main` of its own, so the fuzzers start libFuzzer's driver from it
/// rather than taking libFuzzer's `main`.
public func runFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var count = CommandLine.argc
    var values: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&count, &values, test))
}

/// One input's bytes.
public func fuzzInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
    start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
}

/// Stops the run with `rule` on standard error when `holds` is false: libFuzzer then keeps the input. (A
/// `precondition`'s message is dropped in an optimized build.)
public func require(_ holds: Bool, _ rule: @autoclosure () -> String) {
    guard !holds else { return }
    let line = Array("broken rule: \(rule())\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}
