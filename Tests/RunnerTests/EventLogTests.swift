import Foundation
import Synchronization
import QMP
import Testing
@testable import Runner

@Suite struct EventLogTests {
    private func event(_ name: String, _ data: JSONObject = [:]) -> RecordedEvent {
        RecordedEvent(name: name, data: data)
    }

    @Test func recordsEventsInArrivalOrderWithSequenceNumbers() {
        var log = EventLog()
        log.record(event("STOP"))
        log.record(event("RESUME"))
        #expect(log.events.map(\.name) == ["STOP", "RESUME"])
        #expect(log.events.map(\.sequence) == [0, 1])
        #expect(log.count == 2)
    }

    @Test func waitTakesAnEventThatArrivedBeforeItBegan() {
        var log = EventLog()
        log.record(event("DEVICE_DELETED", ["device": "tablet0"]))
        let taken = log.take(EventQuery(names: ["DEVICE_DELETED"]), by: 3)
        #expect(taken?.name == "DEVICE_DELETED")
        #expect(taken?.takenBy == 3)
        #expect(log.events[0].takenBy == 3)
    }

    @Test func anEventIsTakenByOneWaitOnly() {
        var log = EventLog()
        log.record(event("STOP"))
        #expect(log.take(EventQuery(names: ["STOP"]), by: 1) != nil)
        #expect(log.take(EventQuery(names: ["STOP"]), by: 2) == nil)
    }

    @Test func takesTheFirstUntakenMatchInArrivalOrder() {
        var log = EventLog()
        log.record(event("STOP"))
        log.record(event("STOP"))
        log.record(event("STOP"))
        #expect(log.take(EventQuery(names: ["STOP"]), by: 1)?.sequence == 0)
        #expect(log.take(EventQuery(names: ["STOP"]), by: 2)?.sequence == 1)
        #expect(log.events.map(\.takenBy) == [1, 2, nil])
    }

    @Test func dataThatDoesNotMatchIsLeftForLaterWaits() {
        var log = EventLog()
        log.record(event("DEVICE_DELETED", ["device": "a"]))
        log.record(event("DEVICE_DELETED", ["device": "b"]))
        let wantsB = EventQuery(names: ["DEVICE_DELETED"]) { $0.data["device"] == "b" }
        #expect(log.take(wantsB, by: 1)?.sequence == 1)
        #expect(log.take(EventQuery(names: ["DEVICE_DELETED"]), by: 2)?.data["device"] == "a")
    }

    @Test func anyOfSeveralNamesSatisfiesAWait() {
        var log = EventLog()
        log.record(event("RESUME"))
        log.record(event("SHUTDOWN"))
        let taken = log.take(EventQuery(names: ["SHUTDOWN", "POWERDOWN"]), by: 0)
        #expect(taken?.name == "SHUTDOWN")
    }

    @Test func sinceConsidersOnlyEventsReceivedAfterTheStepWasSent() {
        let sent = Date(timeIntervalSince1970: 1000)
        var log = EventLog()
        log.record(RecordedEvent(name: "STOP", received: sent - 0.5))
        log.record(RecordedEvent(name: "STOP", received: sent + 0.5))
        #expect(log.take(EventQuery(names: ["STOP"], since: sent), by: 5)?.sequence == 1)
        #expect(log.events[0].takenBy == nil)
    }

    @Test func sinceOrdersByReceiveTimeNotByLogPosition() {
        // An event read before the command was sent but logged after the mark still does not count.
        let sent = Date(timeIntervalSince1970: 1000)
        var log = EventLog()
        log.record(RecordedEvent(name: "STOP", received: sent - 0.001))
        #expect(log.take(EventQuery(names: ["STOP"], since: sent), by: 5) == nil)
    }

    @Test func untakenListsWhatNoWaitTookSinceATime() {
        let start = Date(timeIntervalSince1970: 1000)
        var log = EventLog()
        log.record(RecordedEvent(name: "A", received: start))
        log.record(RecordedEvent(name: "B", received: start + 1))
        log.record(RecordedEvent(name: "C", received: start + 2))
        _ = log.take(EventQuery(names: ["B"]), by: 0)
        #expect(log.untaken(since: nil).map(\.name) == ["A", "C"])
        #expect(log.untaken(since: start + 2).map(\.name) == ["C"])
        #expect(log.untaken(since: start + 9).isEmpty)
    }

    @Test func recordIgnoresATakerAndSequenceFromTheCaller() {
        var log = EventLog()
        let stored = log.record(RecordedEvent(sequence: 42, name: "X", takenBy: 7))
        #expect(stored.sequence == 0)
        #expect(stored.takenBy == nil)
    }

    @Test func dropsTheOldestEventsPastTheLimitAndCountsThem() {
        var log = EventLog(limit: 10)
        for index in 0..<25 { log.record(RecordedEvent(name: "E\(index)")) }
        #expect(log.events.count <= 10)
        #expect(log.dropped + log.events.count == 25)
        #expect(log.events.last?.name == "E24")
        #expect(log.events.last?.sequence == 24)
        #expect(log.count == 25)
        // Waits still work on what is kept.
        #expect(log.take(EventQuery(names: ["E24"]), by: 0)?.sequence == 24)
    }

    /// The report's share of a log (every taken event and the newest `limit`
    /// others) loses nothing the report's cap would keep: capping it gives
    /// what capping the whole log gives, for one log and for two merged.
    @Test func theReportableShareKeepsWhatTheCapWouldKeep() {
        var seed: UInt64 = 0x9E37_79B9
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        for round in 0..<40 {
            var logs = [EventLog(), EventLog()]
            let count = next(60)
            let start = Date(timeIntervalSince1970: 1_795_000_000)
            for index in 0..<count {
                let which = round % 2 == 0 ? 0 : next(2)
                logs[which].record(RecordedEvent(name: "E\(index)", received: start.addingTimeInterval(Double(index))))
                if next(4) == 0 { _ = logs[which].takeNewest(EventQuery(names: ["E\(index)"]), by: index) }
            }
            let limit = round % 5 == 4 ? nil : next(20)
            func reports(_ events: [RecordedEvent], _ target: String) -> [EventReport] {
                events.map { EventReport(target: target, event: $0) }
            }
            func sorted(_ events: [EventReport]) -> [EventReport] { events.sorted { $0.event.received < $1.event.received } }
            let whole = EventReport.kept(sorted(reports(logs[0].events, "a") + reports(logs[1].events, "b")), limit: limit)
            let shares = [logs[0].reportable(limit: limit), logs[1].reportable(limit: limit)]
            let passedOver = zip(logs, shares).map { $0.events.count - $1.count }.reduce(0, +)
            let fromShares = EventReport.kept(sorted(reports(shares[0], "a") + reports(shares[1], "b")), limit: limit)
            #expect(fromShares.0.map(\.event.name) == whole.0.map(\.event.name), "round \(round), limit \(String(describing: limit))")
            #expect(fromShares.leftOut + passedOver == whole.leftOut, "round \(round)")
        }
        // A flooded log gives only its taken events and the newest others.
        var flooded = EventLog()
        for index in 0..<1_000 {
            flooded.record(RecordedEvent(name: "E\(index)"))
            if index == 10 { _ = flooded.takeNewest(EventQuery(names: ["E10"]), by: 1) }
        }
        #expect(flooded.reportable(limit: 3).map(\.name) == ["E10", "E997", "E998", "E999"])
        #expect(flooded.reportable(limit: nil).count == 1_000)
    }
}
