//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

/// A ``SQLiteHandle`` seen through SQLKit, so the shared store's statements run on it: SQLKit renders them in
/// SQLite's dialect (`?` placeholders) and sqlite-kit's encoder turns their binds into `SQLiteData`.
struct SQLiteHandleDatabase: SQLDatabase {
    /// Runs a rendered statement: inline on the writer's thread, or on a reader through the readers' pool.
    let run: @Sendable (String, [SQLiteData]) async throws -> [SQLiteResultRow]
    let logger: Logger

    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }

    var dialect: any SQLDialect { SQLiteDialect() }

    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void>
    {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = serialize(query)
        let encoder = SQLiteDataEncoder()
        let values = try binds.map { try encoder.encode($0) }
        for row in try await run(sql, values) { onRow(row) }
    }
}

extension SQLiteHandle {
    /// This handle through SQLKit, running statements inline on the calling thread (the writer's).
    func database(logger: Logger) -> SQLiteHandleDatabase {
        SQLiteHandleDatabase(run: { sql, binds in try self.rows(sql, binds) }, logger: logger)
    }
}

/// The read connections: each used by one thread at a time (under its lock), their statements run on a pool of
/// threads of their own, so a read never waits behind the writer's or the checkpoints' thread.
final class SQLiteReaders: Sendable {
    /// A reader's handle, behind the lock that keeps it to one thread at a time.
    private final class Reader: Sendable {
        let handle: Mutex<SQLiteHandle>
        init(_ handle: SQLiteHandle) { self.handle = Mutex(handle) }
    }

    private let handles: [Reader]
    private let next = Atomic<Int>(0)
    let threadPool: NIOThreadPool

    init(path: String, count: Int) throws {
        var handles: [Reader] = []
        for _ in 0..<max(1, count) {
            let handle = try SQLiteHandle(path: path)
            try handle.execute("PRAGMA query_only = ON")
            handles.append(Reader(handle))
        }
        self.handles = handles
        threadPool = NIOThreadPool(numberOfThreads: max(1, count))
        threadPool.start()
    }

    /// Runs `body` with a reader's handle on the readers' pool.
    func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteHandle) throws -> T) async throws -> T {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        let reader = handles[index % handles.count]
        return try await threadPool.runIfActive { try reader.handle.withLock { try body($0) } }
    }

    /// Closes every reader and stops the pool.
    func close() async throws {
        for reader in handles { reader.handle.withLock { $0.close() } }
        try await threadPool.shutdownGracefully()
    }
}
