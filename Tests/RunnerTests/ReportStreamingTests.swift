import Foundation
import Playbook
@testable import QMP
import Testing
@testable import Runner

/// The report's steps go to a spool file as they finish and are copied into
/// the report file (SPEC.md §5, issue "Speed to the floor"): the file must
/// be the same text as the report's value, and an entry must read back as it
/// was stored.
@Suite struct ReportStreamingTests {
    /// Entries of every shape: objects and arrays nested, strings to escape, nulls, a loop's null item.
    static func entries(_ count: Int) -> [StepReport] {
        (0..<count).map { index in
            var step = StepReport(index: index, id: index % 3 == 0 ? "s\(index)" : nil, name: "step \"\(index)\"\n",
                                  target: "vm", action: index % 2 == 0 ? .execute : .log, status: .passed)
            step.started = Date(timeIntervalSince1970: 1_795_000_000.25 + Double(index))
            step.duration = .microseconds(1300 + Int64(index))
            step.attempts = 1
            step.request = ["execute": "device_add", "arguments": ["id": .string("t\(index)"), "list": [1, 2.5, [:], []]]]
            step.response = ["return": [:]]
            step.tags = index % 4 == 0 ? ["hot", "plug"] : []
            // A file name with a colon and a quote: `location` is written from its parts, escaped.
            step.file = index % 7 == 0 ? "dir:a/\"p\".yaml" : "p.yaml"
            step.line = 10 + index
            step.column = 5
            if index % 5 == 0 {
                step.iteration = 0
                step.item = .null
                step.parent = 0
            }
            return step
        }
    }

    static func spooled(_ steps: [StepReport]) throws -> ReportSteps {
        let spool: StepSpool = try #require(StepSpool.make())
        var spooled = ReportSteps(spool: spool)
        for step in steps { spooled.append(step) }
        return spooled
    }

    static func report(with steps: ReportSteps) -> RunReport {
        var report = ReportTests.sampleReport()
        report.steps = steps
        return report
    }

    @Test func theReportFileIsTheTextOfTheReportsValue() throws {
        // 400 entries overflow the spool's 64 KiB buffer, so some are read from its file, some from memory.
        var steps = try Self.spooled(Self.entries(400))
        var running = StepReport(index: 400, name: "still running", target: "vm", action: .waitEvent, status: .skipped)
        running.holdsSteps = true
        steps.append(running, keepingInMemory: true)
        let report = Self.report(with: steps)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qmpbook-stream-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ReportWriter.write(report, to: path)
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written == report.jsonValue.prettyJSONBytes + [UInt8(ascii: "\n")])
        #expect(report.jsonValue["steps"]?.arrayValue?.count == 401)
    }

    /// An event is written straight to bytes in the layout its tree would have, redacted or not.
    @Test func anEventIsWrittenAsItsTreeWouldBe() throws {
        let data: JSONObject = ["device": "disk \"1\"\n", "path": "/machine/peripheral/disk1", "nested": ["list": [1, 2.5, [:], []]]]
        let received = Date(timeIntervalSince1970: 1_795_000_000.25)
        var recorded = RecordedEvent(name: "DEVICE_DELETED", data: data, seconds: 1_795_000_000, microseconds: 250_123, received: received)
        recorded.takenBy = 7
        for (event, redacted) in [(recorded, false), (recorded, true), (RecordedEvent(name: "STOP", received: received), false)] {
            let tree: JSONValue = [
                "target": "vm", "event": .string(event.name), "data": redacted ? "<redacted>" : .object(event.data),
                "timestamp": ["seconds": .int(event.seconds), "microseconds": .int(event.microseconds)],
                "received": "2026-11-18T11:06:40.250Z", "taken_by": event.takenBy.map { .int(Int64($0)) } ?? .null,
            ]
            for indent in [nil, 2] {
                var written: [UInt8] = []
                EventReport(target: "vm", event: event, redacted: redacted).write(to: &written, indent: indent, level: 2)
                var expected: [UInt8] = []
                tree.write(to: &expected, indent: indent, level: 2)
                #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            }
        }
    }

    /// The `--jsonl` stream's `report` line copies spooled entries without
    /// their layout instead of parsing them: it must be the report file's
    /// text read by the parser and written compact.
    @Test func theJSONLinesReportLineIsTheReportFileWrittenCompact() throws {
        let report = Self.report(with: try Self.spooled(Self.entries(400)))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qmpbook-stream-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ReportWriter.write(report, to: folder + "/report.json")
        let file = try JSONValue(parsing: String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/report.json")), as: UTF8.self))
        let writer = try JSONLinesWriter(path: folder + "/run.jsonl")
        writer.runFinished(report)
        let line = String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/run.jsonl")), as: UTF8.self)
        #expect(line == #"{"type":"report","report":"# + file.jsonText + "}\n")
        #expect(writer.outputErrors.isEmpty)
    }

    /// A step's lines are written straight to bytes: the text of the tree they used to be made as, with or without a fleet member.
    @Test func stepLinesAreTheTextOfTheirTrees() throws {
        for step in Self.entries(8) {
            var entry: [UInt8] = []
            step.write(to: &entry, indent: 2, level: 2)
            let tree = try JSONValue(parsing: String(decoding: entry, as: UTF8.self))
            #expect(String(decoding: JSONLinesWriter.stepFinishedLine(step), as: UTF8.self)
                    == JSONValue.object(["type": "step-finished", "step": tree]).jsonText + "\n")
            #expect(String(decoding: JSONLinesWriter.stepFinishedLine(step, member: "web-1"), as: UTF8.self)
                    == JSONValue.object(["type": "step-finished", "member": "web-1", "step": tree]).jsonText + "\n")
        }
        let playbook = try PlaybookLoader.load(bytes: Array("""
            name: plug
            targets: {vm: {connect: unix:/x}}
            steps: [{id: plug, name: "plug \\"1\\"", execute: device_add}]
            """.utf8), path: "p.yaml").get()
        let started = try JSONValue(parsing: String(decoding: JSONLinesWriter.stepStartedLine(playbook.steps[0], member: "m"), as: UTF8.self))
        let time = try #require(started["time"]?.stringValue)
        #expect(Timestamp.date(time) != nil)
        #expect(started == ["type": "step-started", "member": "m", "time": .string(time), "index": 0, "id": "plug",
                            "name": "plug \"1\"", "target": "vm", "phase": "main"])
        #expect(started.objectValue?.keys == ["type", "member", "time", "index", "id", "name", "target", "phase"])
    }

    @Test func withOrWithoutASpoolTheReportFileIsTheSame() throws {
        let original = Self.entries(400)
        var inMemory = ReportSteps(spool: nil)
        for step in original { inMemory.append(step) }
        var report = ReportTests.sampleReport()  // one report: its event times are taken when it is made
        func written(_ steps: ReportSteps) throws -> [UInt8] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("qmpbook-stream-\(UUID().uuidString).json").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            report.steps = steps
            try ReportWriter.write(report, to: path)
            return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        }
        let spooledFile = try written(Self.spooled(original))
        #expect(spooledFile == (try written(inMemory)))
        // And what it says is what the entries hold, read by the parser rather than the writer.
        let steps = try #require(try JSONValue(parsing: String(decoding: spooledFile, as: UTF8.self))["steps"]?.arrayValue)
        #expect(steps.count == 400)
        #expect(steps[399]["name"] == "step \"399\"\n")
        #expect(steps[399]["index"] == 399)
        #expect(steps[399]["started"] == "2026-11-18T11:13:19.250Z")
        #expect(steps[399]["duration_ms"] == 1.699)
        #expect(steps[399]["request"]?["arguments"]?["list"] == [1, 2.5, [:], []])
        #expect(steps[0]["id"] == "s0" && steps[1]["id"] == .null)
        #expect(steps[0]["tags"] == ["hot", "plug"] && steps[1]["tags"] == [])
        #expect(steps[5]["item"] == .null && steps[5]["iteration"] == 0 && steps[4]["iteration"] == .null)
    }

    /// The report reads spooled entries back a window at a time: in order,
    /// out of order (an entry stored again lies later), larger than a
    /// window, and still in the buffer, it gets what one read per entry gets.
    @Test func readingBackAWindowAtATimeGivesEachEntryWhole() throws {
        let spool: StepSpool = try #require(StepSpool.make())
        var generator = SystemRandomNumberGenerator()
        var spans: [StepSpool.Span] = []
        var stored: [[UInt8]] = []
        for index in 0..<300 {
            let size = index == 150 ? 100_000 : Int.random(in: 1...900, using: &generator)
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            spans.append(spool.append(bytes))
            stored.append(bytes)
        }
        for order in [Array(spans.indices), Array(spans.indices).shuffled(), Array(spans.indices.reversed())] {
            var reader = StepSpool.Reader(spool)
            for position in order {
                var output: [UInt8] = [7]
                #expect(reader.append(spans[position], to: &output))
                #expect(output == [7] + stored[position], "entry \(position)")
                #expect(spool.read(spans[position]) == stored[position])
            }
        }
    }

    @Test func aSpooledEntryReadsBackAsItWasStored() throws {
        let original = Self.entries(400)
        let steps = try Self.spooled(original)
        #expect(steps.count == 400)
        for (stored, read) in zip(original, steps) {
            #expect(read.jsonValue == stored.jsonValue)
            #expect(read.started == stored.started)
            #expect(read.duration == stored.duration)
        }
        #expect(steps[5].item == .null && steps[5].iteration == 0)
        #expect(steps[1].item == nil && steps[1].iteration == nil)
        #expect(steps[7].location == #"dir:a/"p".yaml:17:5"# && steps[7].column == 5)
        #expect(steps[7].jsonValue["location"] == #"dir:a/"p".yaml:17:5"#)
        #expect(steps[8].location == "p.yaml:18:5")
    }

    /// An entry is read in the order it is written, but one whose members
    /// come in another order (written by hand, by another tool) reads the same.
    @Test func anEntryReadsTheSameWhateverTheOrderOfItsMembers() throws {
        for stored in Self.entries(12) {
            let object = try #require(stored.jsonValue.objectValue)
            let reversed = JSONValue.object(JSONObject(zip(object.keys.reversed(), object.values.reversed())))
            let read = try #require(StepReport(json: reversed, holdsSteps: false))
            #expect(read.jsonValue == stored.jsonValue)
            #expect(read.started == stored.started && read.column == stored.column)
        }
        #expect(StepReport(json: ["index": 0, "name": "n", "action": "log", "phase": "main"], holdsSteps: false) == nil)
    }

    /// A finished entry given to the spool to write when the connection is
    /// idle (``StepSpool/appendLater(_:)``) reads at once as it was stored,
    /// is written to the report the same, and is written when that
    /// connection's reader gets to it (here: when it stops, since this one
    /// never ran).
    @Test func anEntryWrittenWhenTheConnectionIsIdleIsTheSameEntry() throws {
        let original = Self.entries(400)
        let lane = ConnectionExecutor()
        let later: StepSpool = try #require(StepSpool.make(writingWhenIdle: lane))
        var deferred = ReportSteps(spool: later)
        for step in original {
            deferred.append(step, keepingInMemory: true)
            deferred.storeFinished(step, at: step.index)
        }
        #expect(deferred.count == 400)
        #expect(deferred.summary.passed == 400)
        #expect(later.waitingCount == 400)
        // Nothing has run the idle work: reading an entry writes what waits.
        #expect(deferred[399].jsonValue == original[399].jsonValue)
        #expect(later.waitingCount == 0)
        deferred.storeFinished(original[0], at: 0)
        deferred.storeFinished(original[1], at: 1)
        #expect(later.waitingCount == 2)
        lane.stop()  // runs the idle work it holds
        #expect(later.waitingCount == 0)
        for (stored, read) in zip(original, deferred) {
            #expect(read.jsonValue == stored.jsonValue)
        }

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qmpbook-later-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var report = ReportTests.sampleReport()
        report.steps = deferred
        try ReportWriter.write(report, to: path)
        let afterwards = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        report.steps = ReportSteps(original)
        try ReportWriter.write(report, to: path)
        #expect(afterwards == (try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))))
    }

    /// Going over the entries in order reads the spool a window at a time:
    /// it must give what reading each one by its position gives, for entries
    /// in the file, in the buffer, stored again later, or kept in memory.
    @Test func goingOverTheEntriesGivesWhatEachPositionReads() throws {
        let original = Self.entries(400)
        var steps = try Self.spooled(original)
        var changed = original[3]
        changed.message = "stored again: it now lies after entry 399"
        steps[3] = changed
        var running = StepReport(index: 400, name: "still running", target: "vm", action: .waitEvent, status: .skipped)
        running.holdsSteps = true
        steps.append(running, keepingInMemory: true)
        let inOrder = Array(steps)
        #expect(inOrder.count == 401)
        for (position, step) in inOrder.enumerated() {
            #expect(step.jsonValue == steps[position].jsonValue)
            #expect(step.holdsSteps == steps.holdsSteps(at: position))
        }
        #expect(inOrder[3].message == changed.message)
        #expect(inOrder[399].jsonValue == original[399].jsonValue)
        #expect(inOrder[400].name == "still running" && inOrder[400].holdsSteps)
    }

    /// Without an idle lane an entry is written at once; a stopped lane runs the work at once too.
    @Test func withoutAnIdleLaneAFinishedEntryIsWrittenAtOnce() throws {
        let original = Self.entries(3)
        let stopped = ConnectionExecutor()
        stopped.stop()
        for lane in [nil, stopped] {
            let spool: StepSpool = try #require(StepSpool.make(writingWhenIdle: lane))
            var steps = ReportSteps(spool: spool)
            for step in original {
                steps.append(step, keepingInMemory: true)
                steps.storeFinished(step, at: step.index)
            }
            #expect(spool.waitingCount == 0)
            #expect(steps.map(\.jsonValue) == original.map(\.jsonValue))
        }
    }

    @Test func aChangedEntryIsStoredAgainAndCounted() throws {
        var steps = try Self.spooled(Self.entries(3))
        steps[1].status = .failed
        steps[1].message = "no reply"
        #expect(steps.status(at: 1) == .failed)
        #expect(steps.summary.failed == 1 && steps.summary.passed == 2)
        steps[1].status = .rescued
        #expect(steps[1].status == .rescued)
        #expect(steps[1].message == "no reply")
        #expect(steps.summary.failed == 0 && steps.summary.passed == 3)
    }

    @Test func aBlocksEntryIsNotCountedAfterReadingBack() throws {
        var block = StepReport(index: 0, name: "block", target: nil, action: .block, status: .passed)
        block.holdsSteps = true
        let steps = try Self.spooled([block] + Self.entries(2).map { var step = $0; step.index += 1; step.parent = 0; return step })
        #expect(steps[0].holdsSteps)
        #expect(!steps[1].holdsSteps)
        #expect(steps.summary.total == 2)
    }

    @Test func timestampsReadBackToTheMillisecond() {
        let date = Date(timeIntervalSince1970: 1_795_000_000.125)
        let text = Timestamp.string(date)
        #expect(text == "2026-11-18T11:06:40.125Z")
        #expect(Timestamp.date(text).map { abs($0.timeIntervalSince(date)) < 0.0005 } == true)
        #expect(Timestamp.date("2026-11-18 11:06:40.123Z") == nil)
        #expect(Timestamp.date("yesterday") == nil)
    }

    /// `duration_ms` is written from whole microseconds, not by printing a
    /// `Double`: the text must be what the JSON writer makes of that `Double`.
    @Test func durationsAreWrittenAsTheirDoubleIsPrinted() {
        var durations: [Duration] = [.zero, .microseconds(1), .microseconds(10), .microseconds(100), .milliseconds(1),
                                     .microseconds(1_001), .microseconds(12_345), .microseconds(999_999), .seconds(1),
                                     .seconds(1) + .nanoseconds(499), .seconds(1) + .nanoseconds(500), .seconds(86_400 * 365 * 30) + .microseconds(7),
                                     .seconds(2_000_000_000) + .microseconds(3), .microseconds(-1_500)]
        var micros: Int64 = 1
        while micros < 100_000_000_000 {
            durations.append(.microseconds(micros))
            micros = micros * 7 + 3
        }
        for duration in durations {
            var fast: [UInt8] = []
            Timestamp.writeMilliseconds(duration, to: &fast)
            var printed: [UInt8] = []
            JSONValue.double(Timestamp.milliseconds(duration)).write(to: &printed, indent: nil, level: 0)
            #expect(String(decoding: fast, as: UTF8.self) == String(decoding: printed, as: UTF8.self), "\(duration)")
        }
    }
}
