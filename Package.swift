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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // librdkafka from the system (Debian: librdkafka-dev), found through pkg-config.
        .systemLibrary(
            name: "Crdkafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"]), .brew(["librdkafka"])]
        ),
        // Pure logic: snapshot model, diff, event encoding, JSON, time. No dependencies, no I/O.
        .target(
            name: "ConvoBridgeCore",
            swiftSettings: swiftSettings
        ),
        // The librdkafka adapter: publisher, topic reader, embedded mock cluster.
        .target(
            name: "ConvoBridgeKafka",
            dependencies: [
                "ConvoBridgeCore",
                "Crdkafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "convobridge",
            dependencies: [
                "ConvoBridgeCore",
                "ConvoBridgeKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConvoBridgeCoreTests",
            dependencies: ["ConvoBridgeCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConvoBridgeKafkaTests",
            dependencies: [
                "ConvoBridgeCore",
                "ConvoBridgeKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Black-box tests of the built binary, talking to it from other processes (kcat).
        .testTarget(
            name: "ConvoBridgeCLITests",
            dependencies: ["convobridge"],
            swiftSettings: swiftSettings
        ),
    ]
)
