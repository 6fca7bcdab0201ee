// swift-tools-version:6.1
// Benchmarks of ConvoBridge's hot path, apart from the main package so that `swift build` and `swift test` never
// build the benchmark framework. Run from this directory: `swift package benchmark` (see the README's Performance).
import PackageDescription

let package = Package(
    name: "convobridge-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "convobridge", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "HotPath",
            dependencies: [
                .product(name: "ConvoBridgeCore", package: "convobridge"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/HotPath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Publisher",
            dependencies: [
                .product(name: "ConvoBridgeCore", package: "convobridge"),
                .product(name: "ConvoBridgeKafka", package: "convobridge"),
                .product(name: "ConvoBridgeKafkaMock", package: "convobridge"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/Publisher",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
