// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "cogramctl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cogramctl", targets: ["cogramctl"]),
        .library(name: "CogramCore", targets: ["CogramCore"]),
        .library(name: "CogramManifest", targets: ["CogramManifest"]),
        .library(name: "CogramAPI", targets: ["CogramAPI"]),
        .library(name: "CogramPlan", targets: ["CogramPlan"]),
        .library(name: "CogramImport", targets: ["CogramImport"]),
        .library(name: "CogramSandbox", targets: ["CogramSandbox"]),
        .library(name: "CogramRandom", targets: ["CogramRandom"]),
        .library(name: "CogramWorkspace", targets: ["CogramWorkspace"]),
        .library(name: "CogramDoctor", targets: ["CogramDoctor"]),
    ],
    // Direct dependencies pinned to a minor version (argument parser exactly: its help and error texts are part of
    // our goldens). Package.resolved stays out of git: see SECURITY.md, "Dependencies".
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", .upToNextMinor(from: "1.16.2")),
        .package(url: "https://github.com/apple/swift-crypto.git", .upToNextMinor(from: "3.12.3")),
        .package(url: "https://github.com/apple/swift-nio.git", .upToNextMinor(from: "2.101.2")),
        .package(url: "https://github.com/swift-server/async-http-client.git", .upToNextMinor(from: "1.37.0")),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", .upToNextMinor(from: "2.37.6")),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", .upToNextMinor(from: "1.0.2")),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", .upToNextMinor(from: "2.28.1")),
        .package(url: "https://github.com/groue/GRDB.swift.git", .upToNextMinor(from: "7.10.0")),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", .upToNextMinor(from: "2.13.0")),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", .upToNextMinor(from: "2.4.1")),
    ],
    targets: [
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        // The vocabulary the manifest side and the API side share: roles, contract limits, the ownership rule,
        // safety-cap floors, control characters, instants. Foundation only.
        .target(
            name: "CogramCore",
            swiftSettings: strict
        ),
        // `syncfs`, which Swift's Glibc module does not declare: one flush for all the files an edit writes.
        .target(name: "CFileSync"),
        .target(
            name: "CogramManifest",
            dependencies: ["CLibYAML", "CFileSync", "CogramCore"],
            swiftSettings: strict
        ),
        .target(
            name: "CogramRandom",
            swiftSettings: strict
        ),
        .target(
            name: "CogramAPI",
            dependencies: [
                "CogramCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CogramPlan",
            dependencies: [
                "CogramCore", "CogramManifest", "CogramAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CogramImport",
            dependencies: ["CogramCore", "CogramManifest", "CogramAPI", "CogramPlan"],
            swiftSettings: strict
        ),
        .target(
            name: "CogramSandbox",
            dependencies: [
                "CogramCore", "CogramAPI", "CogramRandom",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        // What the commands read around the manifests: the manifests at a git ref (through `git`), the scope of
        // a plan.
        .target(
            name: "CogramWorkspace",
            dependencies: [
                "CogramManifest", "CogramPlan",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        // The checks of `cogramctl doctor`; they read and never write.
        .target(
            name: "CogramDoctor",
            dependencies: ["CogramAPI", "CogramManifest", "CogramSandbox"],
            swiftSettings: strict
        ),
        .target(
            name: "CogramCLI",
            dependencies: [
                "CogramManifest", "CogramAPI", "CogramPlan", "CogramImport", "CogramSandbox", "CogramWorkspace",
                "CogramDoctor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "cogramctl",
            dependencies: ["CogramCLI"],
            swiftSettings: strict
        ),
        // Helpers shared by the test targets: the repository's root, temporary directories, fixture builders.
        .target(
            name: "CogramTestSupport",
            dependencies: [
                "CogramManifest", "CogramAPI", "CogramPlan",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/CogramTestSupport",
            swiftSettings: strict
        ),
        // A sandbox server for tests; apart from CogramTestSupport so that tests that need no server do not
        // depend on the server's libraries.
        .target(
            name: "CogramSandboxTestSupport",
            dependencies: ["CogramTestSupport", "CogramSandbox", "CogramAPI"],
            path: "Tests/CogramSandboxTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "CogramCoreTests",
            dependencies: ["CogramCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CogramManifestTests",
            dependencies: ["CogramManifest", "CogramTestSupport"],
            exclude: ["Hostile"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CogramSandboxTests",
            dependencies: [
                "CogramSandbox", "CogramAPI", "CogramTestSupport", "CogramSandboxTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CogramAPITests",
            dependencies: [
                "CogramAPI", "CogramSandbox", "CogramTestSupport", "CogramSandboxTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CogramPlanTests",
            dependencies: ["CogramPlan", "CogramManifest", "CogramAPI", "CogramTestSupport"],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CogramWorkspaceTests",
            dependencies: ["CogramWorkspace", "CogramManifest", "CogramPlan", "CogramTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CogramDoctorTests",
            dependencies: [
                "CogramDoctor", "CogramAPI", "CogramSandbox", "CogramTestSupport", "CogramSandboxTestSupport",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CogramCLITests",
            dependencies: [
                "CogramCLI", "CogramSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CogramImportTests",
            dependencies: ["CogramImport", "CogramPlan", "CogramManifest", "CogramAPI", "CogramRandom", "CogramTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "cogramctl", "CogramSandbox", "CogramAPI", "CogramPlan", "CogramTestSupport", "CogramSandboxTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CogramBench",
            dependencies: ["CogramManifest", "CogramAPI", "CogramPlan", "CogramSandbox", "CogramRandom"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "cogram-bench",
            dependencies: [
                "CogramBench", "CLibYAML", "CogramManifest", "CogramAPI", "CogramPlan", "CogramSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CogramBenchTests",
            dependencies: ["CogramBench", "CogramManifest", "CogramAPI", "CogramPlan", "CogramSandbox"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
