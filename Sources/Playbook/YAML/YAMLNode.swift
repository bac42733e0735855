/// A node of a YAML document: a scalar, a sequence or a mapping, with where it starts.
///
/// Line and column are 1-based. Aliases are already resolved: an alias is a
/// copy of the anchored node (arrays share storage, so copies are cheap).
struct YAMLNode: Sendable {
    enum ScalarStyle: Sendable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    enum Content: Sendable {
        case scalar(String, ScalarStyle, tag: String?)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    var content: Content
    var line: Int
    var column: Int

    var kindName: String {
        switch content {
        case .scalar: return "scalar"
        case .sequence: return "list"
        case .mapping: return "map"
        }
    }

    /// The text of a scalar, nil for a collection.
    var scalarText: String? {
        if case .scalar(let text, _, _) = content { return text }
        return nil
    }

    var isPlainScalar: Bool {
        if case .scalar(_, .plain, let tag) = content { return tag == nil }
        return false
    }
}

struct YAMLPair: Sendable {
    var key: YAMLNode
    var value: YAMLNode
}
