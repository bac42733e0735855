import FoundationEssentials

/// Sorts each line the peer sends into greeting, reply, event or garbage.
///
/// ```swift
/// var router = MessageRouter()
/// router.route(Array(#"{"QMP": {"version": …, "capabilities": []}}"#.utf8)[...])  // .greeting
/// router.route(Array(#"{"return": {}, "id": 7}"#.utf8)[...])                     // .reply(id: 7, …)
/// ```
///
/// Events are events wherever they come, even before the greeting. The
/// first message that is not an event must be the greeting; anything else
/// there is ``Routed/fatal(_:)``. After the greeting, a line that is not a
/// JSON object of a known shape is ``Routed/garbage(_:)``, to be counted
/// and skipped. Replies carry the id the engine put in the command; one
/// whose id is not an integer is ``Routed/reply(id:message:)`` with a nil id.
/// Pure: no I/O.
struct MessageRouter {
    enum Routed {
        case greeting(Greeting)
        case reply(id: Int64?, message: JSONObject)
        case event(Event)
        case garbage(String)
        case fatal(QMPError)
    }

    private(set) var sawGreeting = false

    /// With `expectsGreeting: false` (a guest agent, which sends none), every
    /// line is routed as if the greeting had come.
    init(expectsGreeting: Bool = true) {
        sawGreeting = !expectsGreeting
    }

    mutating func route(_ line: ArraySlice<UInt8>, received: @autoclosure () -> Date = Date()) -> Routed {
        let message: JSONObject
        do {
            guard case .object(let object) = try JSONValue(parsing: line) else {
                return reject("the peer sent JSON that is not an object: \(Self.excerpt(line))")
            }
            message = object
        } catch {
            return reject("the peer sent a line that is not JSON (\(error)): \(Self.excerpt(line))")
        }
        if message["event"] != nil {
            guard let event = Event(message: message, received: received()) else {
                return reject("the peer sent an event without a name: \(Self.excerpt(line))")
            }
            return .event(event)
        }
        if !sawGreeting {
            guard let greeting = Greeting(message: message) else {
                return .fatal(QMPError(.malformed, "the peer's greeting is not a QMP greeting: \(Self.excerpt(line))"))
            }
            sawGreeting = true
            return .greeting(greeting)
        }
        if message["return"] != nil || message["error"] != nil {
            if case .int(let id)? = message["id"] { return .reply(id: id, message: message) }
            if case .uint(let id)? = message["id"], let exact = Int64(exactly: id) { return .reply(id: exact, message: message) }
            return .reply(id: nil, message: message)
        }
        return .garbage("the peer sent a message that is neither a reply nor an event: \(Self.excerpt(line))")
    }

    private func reject(_ reason: String) -> Routed {
        sawGreeting ? .garbage(reason) : .fatal(QMPError(.malformed, "the peer's greeting is not QMP: \(reason)"))
    }

    /// The start of a line, printable on one line.
    static func excerpt(_ line: ArraySlice<UInt8>) -> String {
        let limit = 120
        let text = String(decoding: line.prefix(limit), as: UTF8.self)
        let flat = String(text.map { $0.isNewline || ($0.asciiValue.map { $0 < 0x20 } ?? false) ? "." : $0 })
        return line.count > limit ? flat + "…" : flat
    }
}
