//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

@testable import HookbirdPostgres
import Testing

/// A PostgreSQL node frees other nodes' leases only after its own heartbeats have gone through for a whole lifetime
/// (10 s) without a failure: after an outage of the database every row has run out, and the others must have had
/// the time to write theirs again.
@Suite struct NodeLivenessTests {
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { start.advanced(by: .seconds(seconds)) }

    /// Heartbeats written at `seconds`: for each, may the node judge others, and did it end a run of failures.
    func written(_ liveness: inout NodeLiveness, at seconds: Double...) -> [[Bool]] {
        seconds.map { second in
            let outcome = liveness.beatWritten(at: at(second))
            return [outcome.mayJudgeOthers, outcome.recovered]
        }
    }

    @Test func judgesOthersOnlyAfterAWholeLifetimeOfItsOwnHeartbeats() {
        #expect(PostgresStore.nodeLifetime == .seconds(10))
        var liveness = NodeLiveness(lifetime: PostgresStore.nodeLifetime)
        let outcomes = written(&liveness, at: 0, 2, 4, 6, 8, 9.999, 10, 12)
        let no = [false, false]
        let yes = [true, false]
        #expect(outcomes == [no, no, no, no, no, no, yes, yes])
    }

    @Test func aFailedHeartbeatStartsTheWaitAgain() {
        var liveness = NodeLiveness(lifetime: .seconds(10))
        let before = written(&liveness, at: 0, 10)
        #expect(before.last == [true, false])
        // The database goes away: the first failure is reported, the next ones are not.
        let first = liveness.beatFailed()
        let second = liveness.beatFailed()
        #expect(first && !second)
        // Back: the first heartbeat through ends the run of failures, and the node waits a whole lifetime again.
        let after = written(&liveness, at: 20, 28, 30)
        #expect(after == [[false, true], [false, false], [true, false]])
    }
}
