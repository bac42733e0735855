import Foundation
import Synchronization
import QMP
import Testing
@testable import Runner

@Suite(.timeLimit(.minutes(1))) struct RaceTests {
    @Test func returnsTheBodysValueWhenItFinishesFirst() async {
        guard case .finished(let value) = await race(timeout: .seconds(30), { 42 }) else {
            Issue.record("expected the value")
            return
        }
        #expect(value == 42)
    }

    @Test func timesOutWithoutWaitingForABodyThatIgnoresCancellation() async {
        let outcome = await race(timeout: .milliseconds(50)) { () async -> Int in
            // Ignores cancellation: a blocking peer.
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: 1)
                    continuation.resume(returning: 1)
                }
            }
        }
        guard case .timedOut = outcome else {
            Issue.record("expected a timeout, got \(outcome)")
            return
        }
    }

    @Test func cancellingTheCallerEndsTheRace() async {
        let task = Task { await race(timeout: nil) { try? await Task.sleep(for: .seconds(60)) } }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        guard case .cancelled = await task.value else {
            Issue.record("expected cancellation")
            return
        }
    }
}
