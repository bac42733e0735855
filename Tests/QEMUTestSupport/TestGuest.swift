import Foundation

/// qmpbook's test guest: a Debian cloud kernel and an initramfs with busybox
/// and qemu-ga, built by `Tests/Guest/build-guest.sh` (see
/// Docs/testing-with-a-guest.md).
///
/// ```swift
/// let guest = try await TestGuest.kit()
/// let qemu = try await QEMUProcess.start(extraArguments: guest.arguments(agentSocket: dir.file("qga.sock")))
/// ```
///
/// The paths come from `GUEST_KERNEL` and `GUEST_INITRD` when both are set
/// (CI builds the kit once, before the tests), else from running the script
/// (cached, so only the first call on a machine takes long).
public struct TestGuest: Sendable {
    public var kernel: String
    public var initrd: String

    /// The kit, from the environment or the build script.
    public static func kit() async throws -> TestGuest {
        let environment = ProcessInfo.processInfo.environment
        if let kernel = environment["GUEST_KERNEL"], let initrd = environment["GUEST_INITRD"], !kernel.isEmpty, !initrd.isEmpty {
            return TestGuest(kernel: kernel, initrd: initrd)
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Guest/build-guest.sh").path
        let output = try await runProgram("/bin/bash", [script], timeout: .seconds(600))
        var paths: [String: String] = [:]
        for line in output.standardOutput.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { paths[parts[0]] = parts[1] }
        }
        guard output.status == 0, let kernel = paths["GUEST_KERNEL"], let initrd = paths["GUEST_INITRD"] else {
            throw QEMUStartFailure(message: "Tests/Guest/build-guest.sh failed (status \(output.status)): \(output.standardError.suffix(2000))")
        }
        return TestGuest(kernel: kernel, initrd: initrd)
    }

    /// QEMU arguments booting the guest (added to ``QEMUProcess/baseArguments``,
    /// which hold it stopped until `cont`), its console on `consoleSocket`
    /// (or none) and its agent on a second `isa-serial` port at `agentSocket`.
    public func arguments(agentSocket: String, consoleSocket: String? = nil) -> [String] {
        var arguments = ["-m", "256", "-no-reboot", "-kernel", kernel, "-initrd", initrd,
                         "-append", "console=ttyS0 panic=-1 quiet"]
        if let consoleSocket {
            arguments += ["-chardev", "socket,id=console,path=\(consoleSocket),server=on,wait=off", "-serial", "chardev:console"]
        } else {
            arguments += ["-serial", "null"]
        }
        arguments += ["-chardev", "socket,id=qga,path=\(agentSocket),server=on,wait=off", "-device", "isa-serial,chardev=qga"]
        return arguments
    }
}
