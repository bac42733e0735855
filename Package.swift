// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "qmpbook",
    products: [
        .library(name: "QMP", targets: ["QMP"]),
        .executable(name: "qmpbook", targets: ["qmpbook"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // `swift package generate-documentation --target QMP`: the QMP library's DocC (Sources/QMP/QMP.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(name: "CQMPShim"),
        // libvirt's headers only: no `link`, no pkgConfig (whose flags would link it).
        // The Libvirt module dlopens libvirt when the first libvirt target opens.
        .systemLibrary(name: "CLibvirt", providers: [.apt(["libvirt-dev"])]),
        .target(
            name: "QMP",
            dependencies: [
                "CQMPShim",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "Libvirt", dependencies: ["CLibvirt", "QMP"]),
        .target(name: "Playbook", dependencies: ["CYAML", "QMP", "Libvirt"]),
        .target(name: "Runner", dependencies: ["QMP", "Playbook", "Libvirt"]),
        .target(name: "Shell", dependencies: ["QMP", "Playbook", "Runner"]),
        .executableTarget(
            name: "qmpbook",
            dependencies: [
                "QMP", "Libvirt", "Playbook", "Runner", "Shell",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "qmp-bench", dependencies: ["QMP"], path: "Benchmarks/QMPBenchmark"),
        .executableTarget(name: "libvirt-bench", dependencies: ["Libvirt", "QMP"], path: "Benchmarks/LibvirtBenchmark"),
        .target(name: "QEMUTestSupport", dependencies: ["QMP"], path: "Tests/QEMUTestSupport", exclude: ["Fixtures"]),
        .testTarget(name: "QMPTests", dependencies: ["QMP", "QEMUTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PlaybookTests", dependencies: ["Playbook"]),
        .testTarget(name: "LibvirtTests", dependencies: ["Libvirt", "QEMUTestSupport"]),
        .testTarget(name: "RunnerTests", dependencies: ["Runner", "QEMUTestSupport"]),
        .testTarget(name: "ShellTests", dependencies: ["Shell", "QMP", "Playbook"]),
        .testTarget(name: "qmpbookTests", dependencies: ["qmpbook", "QEMUTestSupport"]),
    ]
)

// The same settings for every Swift target: Swift 6 mode is the tools default;
// these make the remaining upcoming checks explicit.
for target in package.targets where target.type != .system {
    guard target.name != "CQMPShim" else { continue }
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
