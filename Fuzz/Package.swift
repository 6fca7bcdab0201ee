// swift-tools-version:6.1
// Coverage-guided fuzzers (libFuzzer), apart from the main package so that `swift build` and `swift test` never
// build them. Each executable hands its test to libFuzzer's driver, so it only links when built the way
// scripts/fuzz.sh builds it (`-Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld`).
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "convobridge-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "convobridge", path: ".."),
    ],
    targets: [
        // libFuzzer's driver entry point, and its glue.
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzDriver", dependencies: ["CLibFuzzer"], swiftSettings: swiftSettings),
        // The JSON parser, every platform's payload and webhook readers, then the merge, diff and encoding of what
        // they read; the time, time-span and Retry-After parsers.
        .executableTarget(
            name: "FuzzDecoders",
            dependencies: [
                "FuzzDriver",
                .product(name: "ConvoBridgeCore", package: "convobridge"),
                .product(name: "ConvoBridgeTestSupport", package: "convobridge"),
            ],
            swiftSettings: swiftSettings
        ),
        // The webhook checks (HMAC-SHA256 signature, shared-secret header) and what follows an accepted body.
        .executableTarget(
            name: "FuzzWebhooks",
            dependencies: [
                "FuzzDriver",
                .product(name: "ConvoBridgeCore", package: "convobridge"),
                .product(name: "ConvoBridgeServer", package: "convobridge"),
            ],
            swiftSettings: swiftSettings
        ),
        // `convobridge run --config`: YAML, environment overrides, validation.
        .executableTarget(
            name: "FuzzConfiguration",
            dependencies: ["FuzzDriver", .product(name: "ConvoBridgeApp", package: "convobridge")],
            swiftSettings: swiftSettings
        ),
    ]
)
