import QMP
import FoundationEssentials

extension ActionDecoding {
    /// `include: FILE` with `vars: {NAME: VALUE}` (SPEC.md §8.3): the file's steps, decoded in place.
    static let include = ActionDecoding(kind: .include, keys: ["vars"]) { decoder, step in
        decoder.decodeInclude(step)
    }
}

extension PlaybookDecoder {
    static let includedFileKeys = ["description", "vars", "steps"]

    func decodeInclude(_ step: Fields) -> StepAction? {
        guard let node = step["include"], let written = string(node, what: "include") else { return nil }
        if Template.hasExpressions(written) {
            error("include takes a file name written out: ${…} is not resolved here (the steps are checked before the run)", at: node)
            return nil
        }
        // The step's own vars are values of the including file's scope.
        var stepVars: [(name: String, value: JSONValue)] = []
        if let varsNode = step.unlessNull("vars"), let pairs = mapping(varsNode, what: "vars") {
            for pair in pairs {
                checkTemplates(pair.value)
                guard let name = registerName(pair.key, what: "vars") else { continue }
                stepVars.append((name, pair.value.jsonValue))
            }
        }

        let path = Self.includedPath(written, from: file)
        let canonical = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let chain = includeChain.isEmpty
            ? [(path: file, canonical: URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath().path)]
            : includeChain
        if chain.contains(where: { $0.canonical == canonical }) {
            let cycle = (chain.drop { $0.canonical != canonical }.map(\.path) + [path]).joined(separator: " → ")
            error("include cycle: \(file) includes \(path), which is already being included (\(cycle))", at: node)
            return nil
        }
        let bytes: [UInt8]
        switch PlaybookFile.read(path: path, limit: YAMLLimits.maximumFileSize) {
        case .success(let read) where read.count > YAMLLimits.maximumFileSize:
            error("include \(path): the file is larger than \(YAMLLimits.maximumFileSize >> 20) MiB", at: node)
            return nil
        case .success(let read): bytes = read
        case .failure(let problem):
            error("include: \(problem.message)", at: node)
            return nil
        }
        let root: YAMLNode
        do {
            let parser = YAMLParser(bytes: bytes, file: path)
            guard let parsed = try parser.parseDocument() else {
                error("include \(path): the file holds no YAML document; it needs a list of steps or a map with steps", at: node)
                return nil
            }
            diagnostics += parser.problems
            root = parsed
        } catch {
            diagnostics.append(error)
            return nil
        }

        let included = PlaybookDecoder(file: path, overrides: overrides, environment: environment, source: bytes)
        included.inherit(from: self)
        included.includeChain = chain + [(path, canonical)]
        let steps = included.decodeIncluded(root, stepVars: stepVars)
        absorb(included)
        guard let (fileVars, steps) = steps else { return nil }
        // The file's vars are defaults; the step's vars win.
        let names = Set(stepVars.map(\.name))
        return .include(IncludeStep(path: written, file: path, vars: fileVars.filter { !names.contains($0.name) } + stepVars, steps: steps))
    }

    /// `written` relative to the folder of the including file `from` (absolute stays absolute).
    static func includedPath(_ written: String, from: String) -> String {
        if written.hasPrefix("/") { return written }
        let folder = from.pathFolder
        if folder.isEmpty { return written }
        return folder.hasSuffix("/") ? folder + written : folder + "/" + written
    }

    /// What an included file's steps see from the including file at this point.
    func inherit(from outer: PlaybookDecoder) {
        targetNames = outer.targetNames
        libvirtTargets = outer.libvirtTargets
        defaultTarget = outer.defaultTarget
        defaultTimeout = outer.defaultTimeout
        defaultInterval = outer.defaultInterval
        defaultIgnoreErrors = outer.defaultIgnoreErrors
        defaultRedact = outer.defaultRedact
        defined = outer.defined
        scalarVars = outer.scalarVars
        nextIndex = outer.nextIndex
        earlierIDs = outer.earlierIDs.union(outer.stepIDs.keys)
    }

    /// What the including file keeps of an included one: its problems, the
    /// names its steps register or set (run-wide), its ids (for a later `since`).
    func absorb(_ included: PlaybookDecoder) {
        diagnostics += included.diagnostics
        nextIndex = included.nextIndex
        defined = included.defined.subtracting(included.scopedNames)
        scalarVars = included.scalarVars
        earlierIDs.formUnion(included.stepIDs.keys)
        allStepIDs.formUnion(included.stepIDs.keys)
    }

    /// An included file: a list of steps, or a map with `steps` and optional `vars` (defaults) and `description`.
    func decodeIncluded(_ root: YAMLNode, stepVars: [(name: String, value: JSONValue)]) -> (vars: [(name: String, value: JSONValue)], steps: [Step])? {
        var stepsNode = root
        var fileVars: [(name: String, value: JSONValue)] = []
        if case .mapping = root.content {
            guard let top = fields(root, of: "an included file", allowed: Self.includedFileKeys, context: "in an included file"),
                  let steps = top.required("steps") else { return nil }
            stepsNode = steps
            if let varsNode = top.unlessNull("vars"), let pairs = mapping(varsNode, what: "vars") {
                for pair in pairs {
                    // A default sees the names of the including file.
                    checkTemplates(pair.value)
                    guard let name = registerName(pair.key, what: "vars") else { continue }
                    fileVars.append((name, pair.value.jsonValue))
                }
            }
        } else if case .scalar = root.content {
            error("an included file is a list of steps or a map with steps, not \(article(describe(root)))", at: root)
            return nil
        }
        // The include's vars are visible inside it only.
        for name in fileVars.map(\.name) + stepVars.map(\.name) where !defined.contains(name) {
            defined.insert(name)
            scopedNames.insert(name)
        }
        collectStepIDs(stepsNode)
        let steps = decodeSteps(stepsNode, what: "steps", phase: .main)
        return (fileVars, steps)
    }
}
