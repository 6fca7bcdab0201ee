// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "convobridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "convobridge", targets: ["convobridge"]),
        .library(name: "ConvoBridgeCore", targets: ["ConvoBridgeCore"]),
        .library(name: "ConvoBridgeKafka", targets: ["ConvoBridgeKafka"]),
        // The mock cluster, for the publisher benchmark (Benchmarks/); never linked by `run`'s code.
        .library(name: "ConvoBridgeKafkaMock", targets: ["ConvoBridgeKafkaMock"]),
        // For the fuzzers (Fuzz/) and the benchmarks (Benchmarks/), which are packages of their own.
        .library(name: "ConvoBridgeServer", targets: ["ConvoBridgeServer"]),
        .library(name: "ConvoBridgeApp", targets: ["ConvoBridgeApp"]),
        // The fuzzers' way through the core (WholePayloadPath); never linked into the executable.
        .library(name: "ConvoBridgeTestSupport", targets: ["ConvoBridgeTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Already in the graph through Hummingbird; named for the HTTP parts its channel handlers see.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // Already in the graph through async-http-client; TLS for the poll connections.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // librdkafka from the system (Debian: librdkafka-dev), found through pkg-config.
        .systemLibrary(
            name: "Crdkafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"]), .brew(["librdkafka"])]
        ),
        // librdkafka's mock cluster and its fault commands: for `kafka-dev`, the demo and tests, never for `run`.
        .target(
            name: "ConvoBridgeKafkaMock",
            dependencies: ["ConvoBridgeKafka", "Crdkafka"],
            swiftSettings: swiftSettings
        ),
        // Pure logic: snapshot model, diff, event encoding, JSON, time. No dependencies, no I/O.
        .target(
            name: "ConvoBridgeCore",
            swiftSettings: swiftSettings
        ),
        // The librdkafka adapter: publisher, topic reader.
        .target(
            name: "ConvoBridgeKafka",
            dependencies: [
                "ConvoBridgeCore",
                "Crdkafka",
                // NIOThreadPool: short blocking librdkafka calls off the cooperative pool.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP client layer: pooled HTTP/1.1 connections on SwiftNIO for the polls; rate limits, deadlines,
        // circuit breaker; the platform clients; the CLI's admin client (async-http-client).
        .target(
            name: "ConvoBridgeHTTP",
            dependencies: [
                "ConvoBridgeCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Webhook signatures (HMAC-SHA256 over the raw body), shared by the receiver and the simulator.
        .target(
            name: "ConvoBridgeSigning",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto")
            ],
            swiftSettings: swiftSettings
        ),
        // The bridge's HTTP server (Hummingbird): webhook receiver.
        .target(
            name: "ConvoBridgeServer",
            dependencies: [
                "ConvoBridgeCore",
                "ConvoBridgeSigning",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),
        // A platform simulator (Hummingbird) for the demo, the tests and the benchmarks.
        .target(
            name: "ConvoBridgeSimulator",
            dependencies: [
                "ConvoBridgeCore",
                "ConvoBridgeSigning",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The durable store (GRDB over SQLite, WAL): snapshots, watch list and schedule, outbox.
        .target(
            name: "ConvoBridgeStore",
            dependencies: [
                "ConvoBridgeCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The bridge: configuration, pollers and scheduler, outbox relay, webhook sink, what `run` starts.
        .target(
            name: "ConvoBridgeApp",
            dependencies: [
                "ConvoBridgeCore",
                "ConvoBridgeHTTP",
                "ConvoBridgeKafka",
                "ConvoBridgeServer",
                "ConvoBridgeSigning",
                "ConvoBridgeStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // `convobridge demo`: the simulator, an embedded cluster and the bridge in one process. Development code,
        // kept out of ConvoBridgeApp so that the production library graph has no simulator.
        .target(
            name: "ConvoBridgeDemo",
            dependencies: [
                "ConvoBridgeApp",
                "ConvoBridgeCore",
                "ConvoBridgeHTTP",
                "ConvoBridgeKafka",
                "ConvoBridgeServer",
                "ConvoBridgeKafkaMock",
                "ConvoBridgeSigning",
                "ConvoBridgeSimulator",
                "ConvoBridgeStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test helpers shared by the test targets (a manual clock, child processes that block no thread).
        .target(
            name: "ConvoBridgeTestSupport",
            dependencies: ["ConvoBridgeCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "convobridge",
            dependencies: [
                "ConvoBridgeCore",
                "ConvoBridgeKafka",
                "ConvoBridgeKafkaMock",
                "ConvoBridgeHTTP",
                "ConvoBridgeSimulator",
                "ConvoBridgeApp",
                "ConvoBridgeDemo",
                "ConvoBridgeSigning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConvoBridgeCoreTests",
            dependencies: ["ConvoBridgeCore", "ConvoBridgeTestSupport"],
            swiftSettings: swiftSettings
        ),
        // The store alone: SQLite and Core, no Kafka, no HTTP, so it builds and runs in seconds.
        .testTarget(
            name: "ConvoBridgeStoreTests",
            dependencies: ["ConvoBridgeCore", "ConvoBridgeStore", "ConvoBridgeTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConvoBridgeKafkaTests",
            dependencies: [
                "ConvoBridgeCore",
                "ConvoBridgeTestSupport",
                "ConvoBridgeKafka",
                "ConvoBridgeKafkaMock",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConvoBridgeHTTPTests",
            dependencies: [
                "ConvoBridgeCore",
                "ConvoBridgeHTTP",
                "ConvoBridgeSigning",
                "ConvoBridgeServer",
                "ConvoBridgeSimulator",
                "ConvoBridgeTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConvoBridgeAppTests",
            dependencies: [
                "ConvoBridgeApp",
                "ConvoBridgeDemo",
                "ConvoBridgeCore",
                "ConvoBridgeHTTP",
                "ConvoBridgeKafka",
                "ConvoBridgeKafkaMock",
                "ConvoBridgeServer",
                "ConvoBridgeSigning",
                "ConvoBridgeSimulator",
                "ConvoBridgeStore",
                "ConvoBridgeTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // To damage a store the way a disk or a hand edit would.
                .product(name: "GRDB", package: "GRDB.swift"),
                // A webhook receiver on loopback for the delivery tests.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // Raw TCP clients that misbehave on purpose (slow, idle).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Black-box tests of the built binary, talking to it from other processes (kcat).
        .testTarget(
            name: "ConvoBridgeCLITests",
            dependencies: ["convobridge", "ConvoBridgeCore", "ConvoBridgeTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
