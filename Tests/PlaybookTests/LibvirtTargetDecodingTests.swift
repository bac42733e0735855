import Libvirt
import QMP
import Testing
@testable import Playbook

/// `libvirt:` targets as `check` reads them: the model, and one clear problem per mistake.
@Suite struct LibvirtTargetDecodingTests {
    private func load(_ targets: String, steps: String = "  - execute: query-status\n") -> Result<Playbook, Diagnostics> {
        PlaybookLoader.load(bytes: Array("name: t\ntargets:\n\(targets)steps:\n\(steps)".utf8), path: "/books/t.yaml")
    }

    private func problems(_ targets: String, steps: String = "  - execute: query-status\n") -> [String] {
        switch load(targets, steps: steps) {
        case .success: return []
        case .failure(let problems): return problems.diagnostics.map(\.description)
        }
    }

    @Test func aDomainByNameAndATransientDomainFromXML() throws {
        let playbook = try load("""
              web: {libvirt: {uri: "qemu+tcp://h1/system", domain: web-01}, timeout: 5s}
              scratch: {libvirt: {uri: "qemu:///system", create: {xml: vm.xml, paused: true}}}

            """, steps: "  - {target: web, execute: query-status}\n").get()
        guard case .libvirt(let web) = playbook.targets[0].mode, case .libvirt(let scratch) = playbook.targets[1].mode else {
            Issue.record("not libvirt targets: \(playbook.targets.map(\.kind))")
            return
        }
        #expect(playbook.targets[0].kind == .libvirt)
        #expect(web.uri == "qemu+tcp://h1/system")
        #expect(web.literalURI?.isRemote == true)
        guard case .existing("web-01") = web.domain, case .create(xml: "vm.xml", paused: true) = scratch.domain else {
            Issue.record("domains: \(web.domain), \(scratch.domain)")
            return
        }
        #expect(playbook.targets[0].timeout == .seconds(5))
    }

    @Test func pausedDefaultsToFalseAndTemplatesWaitForTheRun() throws {
        let playbook = try load("  vm: {libvirt: {uri: \"${env.HOME}\", create: {xml: \"${env.HOME}\"}}}\n",
                                steps: "  - {execute: getfd, arguments: {fdname: x}, fd: {path: f}}\n").get()
        guard case .libvirt(let target) = playbook.targets[0].mode, case .create(_, paused: false) = target.domain else {
            Issue.record("\(playbook.targets[0].mode)")
            return
        }
        // Whether `${…}` is remote is known only at run time: check lets fd: through.
        #expect(target.literalURI == nil)
    }

    @Test func mistakesAreOneProblemEachAtTheirKey() {
        #expect(problems("  vm: {libvirt: {uri: \"qemu:///system\"}}\n")
                == ["/books/t.yaml:3:17: libvirt needs 'domain' (a running domain) or 'create' (a transient one for this run)"])
        #expect(problems("  vm: {libvirt: {uri: \"qemu:///system\", domain: a, create: {xml: x}}}\n")
                == ["/books/t.yaml:3:52: libvirt has both domain and create; give only one"])
        #expect(problems("  vm: {libvirt: {domain: a}}\n") == ["/books/t.yaml:3:17: libvirt needs 'uri'"])
        #expect(problems("  vm: {libvirt: {uri: \"\", domain: a}}\n")
                == ["/books/t.yaml:3:23: libvirt.uri is empty: write a libvirt URI such as qemu:///system"])
        #expect(problems("  vm: {libvirt: {uri: x, domian: a}}\n").contains("/books/t.yaml:3:26: unknown key 'domian' in libvirt (did you mean 'domain'?)"))
        #expect(problems("  vm: {libvirt: {uri: x, create: {xml: x, paused: maybe}}}\n")
                == ["/books/t.yaml:3:51: libvirt.create.paused must be true or false, not a string"])
        #expect(problems("  vm: {libvirt: {uri: x, create: {paused: true}}}\n") == ["/books/t.yaml:3:34: libvirt.create needs 'xml'"])
        #expect(problems("  vm: {libvirt: {uri: x, domain: a}, connect: /s}\n").first?.contains("has both") == true)
        #expect(problems("  vm: {}\n") == ["/books/t.yaml:3:7: target 'vm' needs one of connect, listen, launch or libvirt"])
    }

    @Test func fdIsFineOnALocalURI() {
        for uri in ["qemu:///system", "qemu+unix:///system?socket=/run/l.sock"] {
            #expect(problems("  vm: {libvirt: {uri: \"\(uri)\", domain: a}}\n",
                             steps: "  - {execute: getfd, arguments: {fdname: x}, fd: {path: f}}\n") == [])
        }
        for uri in ["qemu+ssh://u@h/system", "qemu://h/system", "qemu+tls://h/system"] {
            #expect(problems("  vm: {libvirt: {uri: \"\(uri)\", domain: a}}\n",
                             steps: "  - {execute: getfd, arguments: {fdname: x}, fd: {path: f}}\n").count == 1, "\(uri)")
        }
    }
}
