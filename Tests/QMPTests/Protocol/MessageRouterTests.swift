import Testing
@testable import QMP

@Suite struct MessageRouterTests {
    static let greeting = #"{"QMP": {"version": {"qemu": {"micro": 3, "minor": 2, "major": 7}, "package": "Debian"}, "capabilities": ["oob"]}}"#

    func route(_ router: inout MessageRouter, _ text: String) -> MessageRouter.Routed {
        router.route(Array(text.utf8)[...])
    }

    @Test func readsTheGreeting() {
        var router = MessageRouter()
        guard case .greeting(let greeting) = route(&router, Self.greeting) else {
            Issue.record("not a greeting")
            return
        }
        #expect(greeting.version == QEMUVersion(major: 7, minor: 2, micro: 3, package: "Debian"))
        #expect(greeting.capabilities == ["oob"])
        #expect(router.sawGreeting)
    }

    @Test func eventBeforeTheGreetingIsAnEvent() {
        var router = MessageRouter()
        guard case .event(let event) = route(&router, #"{"event": "SHUTDOWN", "data": {"guest": false}, "timestamp": {"seconds": 5, "microseconds": 6}}"#) else {
            Issue.record("not an event")
            return
        }
        #expect(event.name == "SHUTDOWN")
        #expect(event.data["guest"] == false)
        #expect(event.timestamp == EventTimestamp(seconds: 5, microseconds: 6))
        #expect(!router.sawGreeting)
    }

    @Test(arguments: ["garbage", "[1]", #"{"return": {}}"#, #"{"QMP": {"version": 7}}"#])
    func anythingElseBeforeTheGreetingIsFatal(_ line: String) {
        var router = MessageRouter()
        guard case .fatal(let error) = route(&router, line) else {
            Issue.record("\(line) was accepted as a greeting")
            return
        }
        #expect(error.code == .malformed)
    }

    @Test func repliesCarryTheirIntegerId() {
        var router = MessageRouter()
        _ = route(&router, Self.greeting)
        guard case .reply(let id, let message) = route(&router, #"{"return": {"a": 1}, "id": 42}"#) else {
            Issue.record("not a reply")
            return
        }
        #expect(id == 42)
        #expect(Reply(message: message) == .success(["a": 1]))
        guard case .reply(let other, _) = route(&router, #"{"error": {"class": "X", "desc": "y"}, "id": "text"}"#) else {
            Issue.record("not a reply")
            return
        }
        #expect(other == nil)
    }

    @Test func errorRepliesKeepUnknownClasses() {
        let reply = Reply(message: ["error": ["class": "SomeFutureClass", "desc": "what happened"]])
        #expect(reply == .failure(QMPErrorReply(errorClass: "SomeFutureClass", description: "what happened")))
        #expect(reply?.json == ["error": ["class": "SomeFutureClass", "desc": "what happened"]])
    }

    @Test(arguments: ["not json", "[1, 2]", "42", #"{"unknown": true}"#, #"{"event": 7}"#])
    func garbageAfterTheGreetingIsCountedNotFatal(_ line: String) {
        var router = MessageRouter()
        _ = route(&router, Self.greeting)
        guard case .garbage(let reason) = route(&router, line) else {
            Issue.record("\(line) was not garbage")
            return
        }
        #expect(!reason.isEmpty)
    }

    @Test func excerptsStayOnOneLine() {
        let excerpt = MessageRouter.excerpt(Array(("a\u{01}b\n" + String(repeating: "z", count: 500)).utf8)[...])
        #expect(!excerpt.contains("\n"))
        #expect(excerpt.hasSuffix("…"))
        #expect(excerpt.count <= 121)
    }
}
