//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdClient
import HookbirdCore

/// How a client command prints: the server's JSON for scripts (`--json`), or tables and short lines for people.
/// Data goes to stdout; progress, hints and errors go to stderr.
struct Output: Sendable {
    /// Print JSON instead of tables.
    let json: Bool
    /// Draw progress bars even when stderr is not a terminal.
    let progress: Bool

    /// Whether progress bars are drawn: stderr is a terminal, or `--progress` asks for them.
    var showsProgress: Bool { progress || isatty(STDERR_FILENO) == 1 }

    /// Writes a line to stdout.
    func line(_ text: String) {
        Swift.print(text)
    }

    /// Writes a line to stderr.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Prints an answer: its JSON text as the server sent it, or `human()` for people.
    func print(_ response: APIClient.Response, human: () -> String) {
        Swift.print(json ? response.text : human())
    }

    /// Prints one object: the server's JSON, or a two-column list of its fields.
    func object(_ response: APIClient.Response, pretty fields: Set<String> = []) {
        print(response) { Details.render(response.json ?? .object([:]), pretty: fields) }
    }

    /// Prints a list answer (`{data, iterator, done}`): the server's JSON, or a table and, when there is more, how
    /// to get the next page (on stderr).
    func list(_ response: APIClient.Response, _ table: Table) {
        guard !json else {
            Swift.print(response.text)
            return
        }
        let rows: [JSONValue] =
            if case .array(let items)? = response.json?[member: "data"] { items } else { [] }
        Swift.print(table.render(rows), terminator: "")
        if response.json?[member: "done"] == .bool(false),
            let iterator = response.json?[member: "iterator"]?.stringValue
        {
            Self.error("more: add --iterator \(iterator)")
        }
    }
}
