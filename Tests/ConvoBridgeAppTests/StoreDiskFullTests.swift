import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeSimulator
import Foundation
import Testing

/// A small tmpfs the test mounts for the store, filled with a file and freed again. Mounting needs root (CI runs
/// as root); elsewhere the suite is skipped, saying why.
struct TmpfsMount {
    struct MountFailed: Error, CustomStringConvertible {
        var status: Int32
        var description: String { "mount -t tmpfs exited \(status) (mounting needs root)" }
    }

    let path: String

    static let isAvailable: Bool = {
        guard geteuid() == 0, let probe = try? TmpfsMount(bytes: 1 << 20) else { return false }
        probe.unmount()
        return true
    }()

    init(bytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-tmpfs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw MountFailed(status: mount.terminationStatus)
        }
    }

    /// Writes a file until the filesystem refuses another byte; returns its path.
    func fill() throws -> String {
        let filler = path + "/filler"
        try Data().write(to: URL(fileURLWithPath: filler))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        defer { try? handle.close() }
        for chunk in [1 << 16, 512, 1] {
            let bytes = Data(repeating: 0x55, count: chunk)
            while (try? handle.write(contentsOf: bytes)) != nil {}
        }
        return filler
    }

    func unmount() {
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = ["-l", path]
        try? umount.run()
        umount.waitUntilExit()
        try? FileManager.default.removeItem(atPath: path)
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

@Suite("The store's disk fills up", .serialized, .enabled(if: TmpfsMount.isAvailable, "mounting a tmpfs needs root"))
struct StoreDiskFullTests {
    /// With no free-space floor the bridge finds out from SQLite refusing a write; with one (`store.min_free_space`)
    /// it stops before SQLite has to refuse anything.
    @Test(
        "Polling stops, /metrics and /readyz say so, and everything that changed meanwhile arrives once space returns",
        .timeLimit(.minutes(2)), arguments: [Int64(0), 2 << 20])
    func diskFull(minimumFreeBytes: Int64) async throws {
        let mount = try TmpfsMount(bytes: 8 << 20)
        defer { mount.unmount() }
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        let ids = (1...5).map { "d-\($0)" }
        for id in ids { try harness.world.create(id: id) }
        var configuration = harness.configuration()
        configuration.storePath = mount.path + "/bridge.sqlite"
        configuration.storeMinimumFreeBytes = minimumFreeBytes
        configuration.sources[0].discovery = nil
        configuration.sources[0].conversationIDs = ids
        try await harness.withBridge(configuration) { bridge in
            let port = try #require(await bridge.serverPort())
            func metric(_ name: String, _ labels: [String: String] = [:]) async throws -> Double {
                ObservabilityTests.sample(try await ObservabilityTests.get("http://127.0.0.1:\(port)/metrics").body, name, labels) ?? -1
            }
            func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
                let deadline = ContinuousClock.now + .seconds(30)
                while try await !condition() {
                    guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            try await events.waitUntil("discoveries") { records in
                ids.allSatisfy { BridgeEndToEndTests.count("conversation.discovered", in: records, key: "jelou-demo/\($0)") == 1 }
            }
            try await waitFor("the outbox to empty") { try await metric("convobridge_outbox_events") == 0 }

            let filler = try mount.fill()
            // The next poll's write is refused: polling pauses, and the probes say why.
            try await waitFor("the disk-full gauge") { try await metric("convobridge_store_disk_full") == 1 }
            let readiness = try await ObservabilityTests.get("http://127.0.0.1:\(port)/readyz")
            #expect(readiness.status == 503 && readiness.body.contains(#""store_disk_full":true"#), "\(readiness)")
            try harness.world.close("d-1", reason: "closed_by_operator")
            try harness.world.close("d-2", reason: "closed_by_user")
            try harness.world.setEndedReason("d-3", "abandoned")
            let requests = try await metric("convobridge_http_requests_total", ["operation": "get-conversation"])
            try await Task.sleep(for: .seconds(2))
            let requestsWhileFull = try await metric("convobridge_http_requests_total", ["operation": "get-conversation"]) - requests
            // Polls at 300 ms for 5 conversations would be ~30 requests in 2 s; in-flight ones may finish.
            #expect(requestsWhileFull <= 8, "polling stopped while the disk was full: \(requestsWhileFull) requests")
            #expect(BridgeEndToEndTests.count("conversation.closed", in: events.records, key: "jelou-demo/d-1") == 0)

            try FileManager.default.removeItem(atPath: filler)
            try await events.waitUntil("the changes made while the disk was full") { records in
                BridgeEndToEndTests.count("conversation.closed", in: records, key: "jelou-demo/d-1") == 1
                    && BridgeEndToEndTests.count("conversation.closed", in: records, key: "jelou-demo/d-2") == 1
                    && BridgeEndToEndTests.count("conversation.ended_reason_changed", in: records, key: "jelou-demo/d-3") == 1
            }
            try await waitFor("the gauge to clear") { try await metric("convobridge_store_disk_full") == 0 }
            let again = try await ObservabilityTests.get("http://127.0.0.1:\(port)/readyz")
            #expect(again.body.contains(#""store_disk_full":false"#), "\(again)")
        }
        for id in ids { BridgeEndToEndTests.checkContract(events.records, key: "jelou-demo/\(id)") }
        #expect(events.types(of: "d-1") == ["conversation.discovered", "conversation.closed", "conversation.ended_reason_changed"])
        #expect(events.types(of: "d-4") == ["conversation.discovered"], "nothing invented for a conversation that did not change")
    }
}
