//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation

/// A one-line progress bar on stderr, redrawn in place at most ten times a second:
/// `recover  [#############-----------------]  42/100  42%`.
///
/// It draws nothing unless enabled (see ``Output/showsProgress``), so `--json` output on stdout stays clean either way.
struct ProgressBar {
    /// Shown before the bar.
    let label: String
    /// The amount of work; the bar is full at this count.
    let total: Int
    /// Whether anything is drawn.
    let enabled: Bool
    private var lastDraw: ContinuousClock.Instant?
    private var lastDone = -1

    static let width = 30

    init(label: String, total: Int, enabled: Bool) {
        self.label = label
        self.total = total
        self.enabled = enabled && total > 0
    }

    /// Redraws with `done` items finished, unless it was redrawn less than 100 ms ago.
    mutating func update(_ done: Int) {
        guard enabled, done != lastDone else { return }
        let now = ContinuousClock.now
        if let lastDraw, now - lastDraw < .milliseconds(100), done < total { return }
        lastDraw = now
        lastDone = done
        FileHandle.standardError.write(Data(("\r" + Self.line(label: label, done: done, total: total)).utf8))
    }

    /// Draws the final state and ends the line.
    mutating func finish(_ done: Int) {
        guard enabled else { return }
        lastDraw = nil
        update(done)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// The text of the bar.
    static func line(label: String, done: Int, total: Int) -> String {
        let done = min(max(done, 0), total)
        let filled = total == 0 ? width : done * width / total
        let percent = total == 0 ? 100 : done * 100 / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let count = String(done).leftPadded(to: String(total).count)
        return "\(label)  [\(bar)]  \(count)/\(total)  \(String(percent).leftPadded(to: 3))%"
    }
}

extension String {
    /// The string with spaces in front up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
