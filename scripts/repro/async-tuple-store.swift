// Issue 21's crash, reduced: a tuple returned from a `do` whose `catch` returns a tuple too, in an async closure,
// loses the store of a value computed before the `await` when optimised.
//
//   swiftc -O -parse-as-library scripts/repro/async-tuple-store.swift -o /tmp/repro && /tmp/repro
//
// Expected: (3, Optional(3)). Swift 6.3.1 (x86_64 Linux) with -O prints (0, Optional(3)): the captured `index`
// reads as 0. Without -O it prints the expected value. LLVM's dead store elimination runs on the async coroutine
// before it is split, where every path ends in coro.end.async + unreachable, and takes the store for dead.
// `message send --file` built (index, result) this way and indexed its results array with the garbage (signal 4).
// Hookbird builds such tuples after the do/catch instead.
struct Failure: Error {}

@inline(never)
func work(_ n: Int) async throws -> Int {
    if n < 0 { throw Failure() }
    return n
}

@main
struct Main {
    static func main() async throws {
        let index = Int(CommandLine.arguments.count + 2)  // 3, not a constant
        let task = Task { () async throws -> (Int, Int?) in
            do {
                return (index, try await work(index))
            } catch is Failure {
                return (index, nil)
            }
        }
        print(try await task.value)
    }
}
