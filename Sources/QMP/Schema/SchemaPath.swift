/// Where in a step a schema problem lies, as a path of member names and array indices.
///
/// ```swift
/// let path: SchemaPath = ["arguments", "capabilities", 0, "capability"]
/// path.description   // "arguments.capabilities[0].capability"
/// ```
///
/// Paths of command problems start at `arguments` (or at `execute` for the
/// command name); paths of event problems at `wait-event`. Members are joined
/// with `.`, array indices written `[N]` (0-based). A missing member's path
/// names the member that should be there: a caller mapping paths to source
/// lines uses the deepest prefix that exists in its document.
public struct SchemaPath: Sendable, Hashable, CustomStringConvertible {
    /// One step of a path: an object member or an array element.
    public enum Component: Sendable, Hashable {
        case member(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) {
        self.components = components
    }

    /// The path of `arguments`, where every argument problem starts.
    public static let arguments = SchemaPath([.member("arguments")])
    /// The path of the command name.
    public static let execute = SchemaPath([.member("execute")])
    /// The path of an event name in a wait.
    public static let waitEvent = SchemaPath([.member("wait-event")])

    /// This path extended by the member `name`.
    public func appending(member name: String) -> SchemaPath {
        SchemaPath(components + [.member(name)])
    }

    /// This path extended by the element at `index`.
    public func appending(index: Int) -> SchemaPath {
        SchemaPath(components + [.index(index)])
    }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .member(let name):
                if !text.isEmpty { text += "." }
                text += name
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }
}

extension SchemaPath.Component: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .member(value) }
    public init(integerLiteral value: Int) { self = .index(value) }
}

extension SchemaPath: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Component...) { self.init(elements) }
}
