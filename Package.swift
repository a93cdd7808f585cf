// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "hookbird",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hookbird", targets: ["hookbird"]),
        .executable(name: "hookbird-bench", targets: ["hookbird-bench"]),
        .executable(name: "hookbird-loadgen", targets: ["hookbird-loadgen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        // `serve --config`: swift-configuration's file providers (Hummingbird already builds the library; these are
        // its JSON and YAML traits), and Yams to list a YAML file's keys so that an unknown one is an error.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["JSON", "YAML"]),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", "5.4.0"..<"7.0.0"),
    ],
    targets: [
        .target(
            name: "HookbirdCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto")
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdStorage",
            dependencies: [
                "HookbirdCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdSQL",
            dependencies: [
                "HookbirdCore",
                "HookbirdStorage",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdSQLite",
            dependencies: [
                "HookbirdCore",
                "HookbirdStorage",
                "HookbirdSQL",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdPostgres",
            dependencies: [
                "HookbirdCore",
                "HookbirdStorage",
                "HookbirdSQL",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
                // Only for `ConnectionPoolError`, which `PostgresClient` passes through untranslated.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdDelivery",
            dependencies: [
                "HookbirdCore",
                "HookbirdStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdOperations",
            dependencies: [
                "HookbirdCore",
                "HookbirdStorage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdHTTP",
            dependencies: [
                "HookbirdCore",
                "HookbirdStorage",
                "HookbirdOperations",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdAPI",
            dependencies: [
                "HookbirdOperations",
                "HookbirdHTTP",
                "HookbirdCore",
                "HookbirdStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.embedInCode("Resources/openapi.json")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdIngest",
            dependencies: [
                "HookbirdOperations",
                "HookbirdHTTP",
                "HookbirdCore",
                "HookbirdStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdDashboard",
            dependencies: [
                "HookbirdOperations",
                "HookbirdHTTP",
                "HookbirdCore",
                "HookbirdStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // The templates and the stylesheet, compiled into the binary: Hookbird stays one file to deploy.
            resources: [
                "app", "apps", "attempts", "endpoint", "error", "layout", "login", "message", "pager", "rate", "source",
                "sources", "status", "time",
            ].map { .embedInCode("Resources/templates/\($0).mustache") } + [.embedInCode("Resources/style.css")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdServer",
            dependencies: [
                "HookbirdOperations",
                "HookbirdHTTP",
                "HookbirdCore",
                "HookbirdStorage",
                "HookbirdSQLite",
                "HookbirdPostgres",
                "HookbirdAPI",
                "HookbirdDelivery",
                "HookbirdIngest",
                "HookbirdDashboard",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdClient",
            dependencies: [
                "HookbirdCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "hookbird",
            dependencies: [
                "HookbirdCore",
                "HookbirdClient",
                "HookbirdServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HookbirdTesting",
            dependencies: [
                "HookbirdCore",
                "HookbirdStorage",
                "HookbirdPostgres",
                "HookbirdDelivery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "hookbird-bench",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "hookbird-loadgen",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookbirdCoreTests",
            dependencies: ["HookbirdTesting", "HookbirdCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookbirdClientTests",
            dependencies: ["HookbirdTesting", "HookbirdClient", "HookbirdCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookbirdCLITests",
            dependencies: ["HookbirdTesting", "hookbird", "HookbirdCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookbirdDeliveryTests",
            dependencies: [
                "HookbirdTesting",
                "HookbirdSQL",
                "HookbirdCore",
                "HookbirdStorage",
                "HookbirdSQLite",
                "HookbirdDelivery",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookbirdStorageTests",
            dependencies: [
                "HookbirdTesting",
                "HookbirdSQL",
                "HookbirdCore",
                "HookbirdStorage",
                "HookbirdSQLite",
                "HookbirdPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookbirdAPITests",
            dependencies: [
                "HookbirdHTTP",
                "HookbirdOperations",
                "HookbirdTesting",
                "HookbirdSQL",
                "HookbirdCore",
                "HookbirdStorage",
                .product(name: "Logging", package: "swift-log"),
                "HookbirdServer",
                "HookbirdAPI",
                "HookbirdPostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookbirdIngestTests",
            dependencies: [
                "HookbirdTesting",
                "HookbirdIngest",
                "HookbirdCore",
                "HookbirdHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HookbirdDashboardTests",
            dependencies: [
                "HookbirdHTTP",
                "HookbirdOperations",
                "HookbirdTesting",
                "HookbirdSQL",
                "HookbirdCore",
                "HookbirdDashboard",
                "HookbirdStorage",
                "HookbirdSQLite",
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
