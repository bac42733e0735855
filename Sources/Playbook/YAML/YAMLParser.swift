internal import CYAML

/// Turns YAML bytes into one ``YAMLNode`` tree with libyaml's event API.
///
/// The parser owns libyaml's `yaml_parser_t` and a private copy of the input
/// for its whole life, and frees both in `deinit`. It refuses what a playbook
/// never needs and an attacker could abuse: more than one document, aliases
/// that expand past ``YAMLLimits/maximumAliasExpansion`` nodes, nesting deeper
/// than ``YAMLLimits/maximumDepth``, and duplicate mapping keys.
final class YAMLParser {
    private var parser = yaml_parser_t()
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let file: String

    /// Anchored nodes by name, with their expanded size in nodes.
    private var anchors: [String: (node: YAMLNode, weight: Int)] = [:]
    private var aliasExpansion = 0

    /// A UTF-8 byte-order mark at the start (editors on Windows write one)
    /// is skipped: with the encoding set, libyaml would call it garbage.
    init(bytes: some Collection<UInt8>, file: String) {
        self.file = file
        let text = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        input = .allocate(capacity: max(text.count, 1))
        _ = input.initialize(from: text)
        yaml_parser_initialize(&parser)
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, input.baseAddress, text.count)
    }

    deinit {
        yaml_parser_delete(&parser)
        input.deallocate()
    }

    /// A container being built: its node so far, its anchor, its weight.
    private struct Frame {
        var node: YAMLNode
        var anchor: String?
        var weight: Int
        var pendingKey: YAMLNode?
        var keys: Set<String>
        /// The pending key repeats an earlier one: its value is left out.
        var pendingKeyIsDuplicate = false
    }

    /// Problems that do not stop the reading (a duplicate key: the first
    /// value is kept), so the checks after it still see the rest of the file.
    private(set) var problems: [Diagnostic] = []

    /// Parses the whole stream; nil when it holds no document at all.
    ///
    /// Throws the first syntax error (YAML cannot be read past one) as a
    /// ``Diagnostic`` at its position. A parser reads its input once: later
    /// calls repeat the first outcome.
    func parseDocument() throws(Diagnostic) -> YAMLNode? {
        if let outcome { return try outcome.get() }
        let result = Result { () throws(Diagnostic) in try parseStream() }
        outcome = result
        return try result.get()
    }

    private var outcome: Result<YAMLNode?, Diagnostic>?

    private func parseStream() throws(Diagnostic) -> YAMLNode? {
        var stack: [Frame] = []
        var root: YAMLNode?
        var documents = 0
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw syntaxError() }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line) + 1
            let column = Int(event.start_mark.column) + 1

            var completed: (node: YAMLNode, weight: Int)?
            switch event.type {
            case YAML_STREAM_END_EVENT, YAML_NO_EVENT:
                // libyaml hands out empty events once the stream has ended.
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw Diagnostic("a playbook is one YAML document, but a second one starts here", at: location(line, column))
                }
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let text = string(scalar.value, count: scalar.length)
                let style: YAMLNode.ScalarStyle
                switch scalar.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
                case YAML_LITERAL_SCALAR_STYLE: style = .literal
                case YAML_FOLDED_SCALAR_STYLE: style = .folded
                default: style = .plain
                }
                let tag = scalar.tag.map { String(cString: $0) }
                let node = YAMLNode(content: .scalar(text, style, tag: tag), line: line, column: column)
                if let anchor = scalar.anchor { anchors[String(cString: anchor)] = (node, 1) }
                completed = (node, 1)
            case YAML_ALIAS_EVENT:
                let name = String(cString: event.data.alias.anchor)
                guard let anchored = anchors[name] else {
                    throw Diagnostic("alias *\(name) names no anchor defined before it", at: location(line, column))
                }
                aliasExpansion += anchored.weight
                if aliasExpansion > YAMLLimits.maximumAliasExpansion {
                    throw Diagnostic("aliases expand to more than \(YAMLLimits.maximumAliasExpansion) nodes (an alias bomb?)", at: location(line, column))
                }
                var node = anchored.node
                node.line = line
                node.column = column
                completed = (node, anchored.weight)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard stack.count < YAMLLimits.maximumDepth else {
                    throw Diagnostic("nesting deeper than \(YAMLLimits.maximumDepth) levels", at: location(line, column))
                }
                let isSequence = event.type == YAML_SEQUENCE_START_EVENT
                let anchorPointer = isSequence ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                let content: YAMLNode.Content = isSequence ? .sequence([]) : .mapping([])
                stack.append(Frame(node: YAMLNode(content: content, line: line, column: column),
                                   anchor: anchorPointer.map { String(cString: $0) }, weight: 1, keys: []))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                var frame = stack.removeLast()
                if case .mapping(let pairs) = frame.node.content, pairs.contains(where: { Self.isMergeKey($0.key) }) {
                    frame.node.content = .mapping(merged(pairs))
                }
                if let anchor = frame.anchor { anchors[anchor] = (frame.node, frame.weight) }
                completed = (frame.node, frame.weight)
            default:
                break
            }

            guard let (node, weight) = completed else { continue }
            guard !stack.isEmpty else {
                root = node
                continue
            }
            try add(node, weight: weight, to: &stack[stack.count - 1])
        }
    }

    /// `<<` as a plain key: YAML's merge key.
    static func isMergeKey(_ key: YAMLNode) -> Bool {
        if case .scalar("<<", .plain, _) = key.content { return true }
        return false
    }

    /// A map's pairs with its merge keys (`<<: *anchor`, `<<: [*a, *b]`)
    /// replaced by the merged maps' pairs: keys written in the map win, then
    /// the earlier of the merged maps.
    private func merged(_ pairs: [YAMLPair]) -> [YAMLPair] {
        var result = pairs.filter { !Self.isMergeKey($0.key) }
        var seen = Set(result.compactMap(\.key.scalarText))
        for pair in pairs where Self.isMergeKey(pair.key) {
            let sources: [YAMLNode]
            switch pair.value.content {
            case .mapping: sources = [pair.value]
            case .sequence(let elements) where elements.allSatisfy({ if case .mapping = $0.content { true } else { false } }):
                sources = elements
            default:
                problems.append(Diagnostic("<< merges a map or a list of maps (<<: *anchor), not \(pair.value.kindName.withArticle)",
                                           at: location(pair.value.line, pair.value.column)))
                continue
            }
            for source in sources {
                guard case .mapping(let merging) = source.content else { continue }
                for merge in merging where seen.insert(merge.key.scalarText ?? "").inserted {
                    result.append(merge)
                }
            }
        }
        return result
    }

    private func add(_ node: YAMLNode, weight: Int, to frame: inout Frame) throws(Diagnostic) {
        frame.weight += weight
        switch frame.node.content {
        case .sequence(var elements):
            frame.node.content = .sequence([])
            elements.append(node)
            frame.node.content = .sequence(elements)
        case .mapping(var pairs):
            guard let key = frame.pendingKey else {
                guard let text = node.scalarText else {
                    throw Diagnostic("a map key must be a scalar, not a \(node.kindName)", at: location(node.line, node.column))
                }
                frame.pendingKeyIsDuplicate = !frame.keys.insert(text).inserted
                if frame.pendingKeyIsDuplicate {
                    problems.append(Diagnostic("duplicate key '\(text)' in this map (the first one counts)", at: location(node.line, node.column)))
                }
                frame.pendingKey = node
                return
            }
            frame.pendingKey = nil
            if frame.pendingKeyIsDuplicate {
                frame.pendingKeyIsDuplicate = false
                return
            }
            frame.node.content = .mapping([])
            pairs.append(YAMLPair(key: key, value: node))
            frame.node.content = .mapping(pairs)
        case .scalar:
            break
        }
    }

    private func location(_ line: Int, _ column: Int) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, count: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// libyaml's error, with a clearer word for tabs used as indentation.
    private func syntaxError() -> Diagnostic {
        let mark = parser.problem_mark
        let line = Int(mark.line) + 1
        let column = Int(mark.column) + 1
        var message = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        if let context = parser.context.map({ String(cString: $0) }) {
            let start = parser.context_mark
            message += " \(context)"
            if start.line != mark.line || start.column != mark.column {
                message += " that starts at line \(start.line + 1), column \(start.column + 1)"
            }
        }
        if let tabColumn = indentationTab(onLine: line) {
            return Diagnostic("tab character used for indentation (YAML allows only spaces)", at: location(line, tabColumn))
        }
        if parser.error == YAML_READER_ERROR {
            // Reader errors carry a byte offset, not a mark.
            let (byteLine, byteColumn) = position(ofByte: Int(parser.problem_offset))
            return Diagnostic("the file is not valid UTF-8 text (\(message))", at: location(byteLine, byteColumn))
        }
        return Diagnostic(message, at: location(line, column))
    }

    /// The 1-based line and column (in characters) of byte `offset`.
    private func position(ofByte offset: Int) -> (Int, Int) {
        var line = 1
        var column = 1
        for index in 0..<min(offset, input.count) {
            if input[index] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if input[index] & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    /// The 1-based column of a tab in the leading whitespace of `line`, if any.
    private func indentationTab(onLine line: Int) -> Int? {
        var current = 1
        var index = 0
        while current < line, index < input.count {
            if input[index] == UInt8(ascii: "\n") { current += 1 }
            index += 1
        }
        var column = 1
        while index < input.count {
            switch input[index] {
            case UInt8(ascii: "\t"): return column
            case UInt8(ascii: " "): column += 1
            case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"):
                // Block indicators followed by a tab also count as indentation.
                if index + 1 < input.count, input[index + 1] == UInt8(ascii: "\t") { return column + 1 }
                return nil
            default: return nil
            }
            index += 1
        }
        return nil
    }
}

/// The bounds the YAML loader enforces; documented in Docs/playbooks.md.
public enum YAMLLimits {
    /// The largest playbook file read, in bytes (8 MiB).
    public static let maximumFileSize = 8 << 20
    /// Nodes that aliases may add to a document, in total.
    public static let maximumAliasExpansion = 100_000
    /// The deepest nesting of lists and maps.
    public static let maximumDepth = 200
}
