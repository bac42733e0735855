import FoundationEssentials
import Libvirt
import Playbook
import QMP

extension PlaybookRunner {
    /// The plan of a `libvirt:` target: its URI, domain name and XML resolved
    /// (an `xml` not starting with `<` is read from that file, relative to the
    /// playbook's folder), and the steps on it checked against what libvirt cannot do.
    /// - Throws: ``RunnerError`` (invalid input, nothing sent).
    func libvirtPlan(_ libvirt: LibvirtTarget, target: TargetSpec, variables: Variables) throws(RunnerError) -> TargetSession.Plan {
        let uri = LibvirtURI(try Self.resolvedText(.string(libvirt.uri), "libvirt.uri", target: target, variables: variables))
        guard !uri.text.isEmpty else { throw RunnerError(.invalidInput, "target \(target.name): libvirt.uri is empty") }
        let domain: LibvirtDomain
        switch libvirt.domain {
        case .existing(let name):
            let resolved = try Self.resolvedText(.string(name), "libvirt.domain", target: target, variables: variables)
            guard !resolved.isEmpty else { throw RunnerError(.invalidInput, "target \(target.name): libvirt.domain is empty") }
            domain = .existing(resolved)
        case .create(let xml, let paused):
            let resolved = try Self.resolvedText(.string(xml), "libvirt.create.xml", target: target, variables: variables)
            domain = .create(xml: try domainXML(resolved, target: target), paused: paused)
        }
        try Self.checkLibvirtSteps(of: target, uri: uri, in: playbook)
        return .libvirt(uri: uri, domain: domain)
    }

    /// The plan of `--target NAME=libvirt:URI#DOMAIN`.
    func libvirtOverride(_ text: String, target: TargetSpec, variables: Variables) throws(RunnerError) -> TargetSession.Plan {
        let address = try Self.libvirtAddress(text, target: target.name)
        try Self.checkLibvirtSteps(of: target, uri: address.uri, in: playbook)
        return .libvirt(uri: address.uri, domain: .existing(address.domain))
    }

    /// `libvirt:URI#DOMAIN` of a `--target` option.
    static func libvirtAddress(_ text: String, target: String) throws(RunnerError) -> LibvirtAddress {
        do {
            return try LibvirtAddress(parsing: text)
        } catch {
            throw RunnerError(.invalidInput, "--target \(target): \(error)")
        }
    }

    /// Refuses what libvirt cannot do on `target` reached at `uri`: `capabilities`,
    /// `execute: qmp_capabilities`, and `fd:` over a remote URI (the first
    /// problem, as `FILE:LINE:COLUMN: …`).
    static func checkLibvirtSteps(of target: TargetSpec, uri: LibvirtURI, in playbook: Playbook) throws(RunnerError) {
        if !target.capabilities.isEmpty {
            throw RunnerError(
                .invalidInput,
                "\(target.location): target \(target.name): capabilities: libvirt targets take none: libvirt negotiates QMP with QEMU itself")
        }
        for step in playbook.allSteps where step.target == target.name {
            guard case .execute(let execute) = step.action else { continue }
            if execute.command == "qmp_capabilities" {
                throw RunnerError(
                    .invalidInput,
                    "\(step.location(of: "execute")): execute: qmp_capabilities is refused on libvirt target '\(target.name)': libvirt negotiates QMP with QEMU itself")
            }
            if execute.fd != nil, uri.isRemote {
                throw RunnerError(
                    .invalidInput,
                    "\(step.location(of: "fd")): \(LibvirtTarget.remoteDescriptorProblem(target: target.name, uri: uri))")
            }
        }
    }

    /// `xml` itself when it starts with `<`, else the text of that file.
    private func domainXML(_ xml: String, target: TargetSpec) throws(RunnerError) -> String {
        if xml.drop(while: \.isWhitespace).hasPrefix("<") { return xml }
        let path = xml.hasPrefix("/") ? xml : URL(fileURLWithPath: playbook.directory).appendingPathComponent(xml).path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RunnerError(.invalidInput, "target \(target.name): libvirt.create.xml: cannot read the domain XML file \(path)")
        }
        return text
    }

    /// A value of a target's definition with its `${…}` resolved, as text (numbers and booleans as JSON).
    static func resolvedText(
        _ value: JSONValue, _ what: String, target: TargetSpec, variables: Variables
    ) throws(RunnerError) -> String {
        let resolved: JSONValue
        do {
            resolved = try Template.resolve(value, with: variables)
        } catch {
            throw RunnerError(.invalidInput, "target \(target.name): \(what): \(error.message)")
        }
        switch resolved {
        case .string(let string): return string
        case .int, .uint, .double, .bool: return resolved.jsonText
        default: throw RunnerError(.invalidInput, "target \(target.name): \(what) must be a string, not \(resolved.typeName)")
        }
    }
}
