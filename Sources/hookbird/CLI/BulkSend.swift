//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import Foundation
import HookbirdClient
import HookbirdCore
import NIOHTTP1

/// `hookbird message send --file`: every message of a JSON-lines file, a few at a time, and what became of each line.
///
/// Sending a file again is safe. A line with an `eventId` that the application already has is answered `409` by
/// the server; the stored message is fetched, and when its event type and payload are the line's the line counts as
/// already sent. A line without an `eventId` is sent with an `Idempotency-Key` made of the SHA-256 of the whole file
/// and the line's number, so the same file sent again (same token, same application argument) gets the first
/// answers replayed (`Idempotent-Replayed: true`) instead of new messages.
///
/// ```swift
/// let send = try BulkSend(contents: data, idempotencyKeys: true)
/// let outcomes = await send.run(to: APIClient.path("app", "acme", "msg"), api: api, concurrency: 4) { done in }
/// ```
struct BulkSend: Sendable {
    /// One message of the file.
    struct Line: Sendable {
        /// The line's number in the file, from 1.
        var number: Int
        /// The message as the API takes it.
        var body: JSONValue
        /// The message's `eventId`, if it has one.
        var eventID: String?
        /// The `Idempotency-Key` it is sent with: lines without an `eventId`, unless keys are off.
        var idempotencyKey: String?
    }

    /// What became of a line.
    enum Outcome: Sendable {
        /// Stored now; the server's answer.
        case sent(APIClient.Response)
        /// Stored before (its `eventId` exists with the same event type and payload, or its idempotency key was
        /// answered before); the stored message.
        case alreadySent(APIClient.Response)
        /// Not stored, or not known to be: a timeout or a 5xx may have been stored (sending again is still safe).
        case failed(APIClientError)
        /// Stopped by a signal while its request was in flight: it may or may not be stored.
        case interrupted
    }

    /// A finished line, as a child task returns it.
    struct Finished: Sendable {
        var index: Int
        var outcome: Outcome
    }

    /// The messages, in the file's order.
    let lines: [Line]

    /// Reads a JSON-lines file; blank lines are skipped.
    /// - Parameters:
    ///   - contents: The file's bytes.
    ///   - idempotencyKeys: Whether lines without an `eventId` get an `Idempotency-Key` derived from the file.
    /// - Throws: A message naming the first line that is not a JSON object.
    init(contents: [UInt8], idempotencyKeys: Bool) throws(BulkSendError) {
        let digest = idempotencyKeys ? Digest.sha256Hex(contents) : nil
        var lines: [Line] = []
        let text = String(decoding: contents, as: UTF8.self)
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            guard let body = JSONValue.parse(String(line)), body.isObject else {
                throw BulkSendError("--file: line \(index + 1) is not a JSON object")
            }
            let eventID = body[member: "eventId"]?.stringValue
            let key = eventID == nil ? digest.map { Self.idempotencyKey(fileDigest: $0, line: index + 1) } : nil
            lines.append(Line(number: index + 1, body: body, eventID: eventID, idempotencyKey: key))
        }
        self.lines = lines
    }

    /// The `Idempotency-Key` of a line without an `eventId`: `hookbird-file-<SHA-256 of the file>-<line number>`.
    static func idempotencyKey(fileDigest: String, line: Int) -> String {
        "hookbird-file-\(fileDigest)-\(line)"
    }

    /// Sends every line, `concurrency` at a time, until all are done or the task is cancelled (then the requests in
    /// flight are cancelled and the lines not started have no outcome, `nil`).
    /// - Parameters:
    ///   - path: The application's message path (`app/{app}/msg`).
    ///   - api: The client.
    ///   - concurrency: How many requests are in flight at most.
    ///   - progress: The bar drawn as lines finish.
    /// - Returns: Each line's outcome, in the file's order.
    func run(
        to path: String,
        api: APIClient,
        concurrency: Int,
        progress: ProgressBar
    ) async -> [Outcome?] {
        var bar = progress
        var outcomes = [Outcome?](repeating: nil, count: lines.count)
        await withTaskGroup(of: Finished.self) { group in
            var next = 0
            func addNext() {
                guard next < lines.count, !Task.isCancelled else { return }
                let index = next
                let line = lines[index]
                group.addTask {
                    // Built after the `await`, outside any `do`: Swift 6.3 with -O loses a tuple element stored into
                    // a task's result before an `await` inside a `do` whose `catch` stores it too (issue 21).
                    let outcome = await Self.send(line, to: path, api: api)
                    return Finished(index: index, outcome: outcome)
                }
                next += 1
            }
            for _ in 0..<concurrency { addNext() }
            var done = 0
            while let finished = await group.next() {
                outcomes[finished.index] = finished.outcome
                done += 1
                bar.update(done)
                addNext()
            }
            bar.finish(done)
        }
        return outcomes
    }

    /// Sends one line and says what became of it; never throws.
    static func send(_ line: Line, to path: String, api: APIClient) async -> Outcome {
        let headers = line.idempotencyKey.map { [("Idempotency-Key", $0)] } ?? []
        let response: APIClient.Response
        do {
            response = try await api.call(.POST, path, body: line.body, headers: headers)
        } catch {
            // Stopped by a signal: the request may or may not have reached the server.
            if Task.isCancelled { return .interrupted }
            guard let error = error as? APIClientError else {
                return .failed(APIClientError(status: nil, code: "error", detail: "\(error)"))
            }
            if error.status == 409, let eventID = line.eventID {
                return await storedDuplicate(of: line, eventID: eventID, conflict: error, in: path, api: api)
            }
            return .failed(error)
        }
        return response.isIdempotentReplay ? .alreadySent(response) : .sent(response)
    }

    /// The outcome of a line whose `eventId` the application already has: already sent when the stored message has
    /// the line's event type and payload, failed (the `409`, explained) when it is another message.
    static func storedDuplicate(
        of line: Line,
        eventID: String,
        conflict: APIClientError,
        in path: String,
        api: APIClient
    ) async -> Outcome {
        let stored: APIClient.Response
        do {
            stored = try await api.call(.GET, path + "/" + APIClient.path(eventID))
        } catch {
            // The line is stored (the 409 says so); only whether it is this line is not known.
            return .failed((error as? APIClientError) ?? conflict)
        }
        let same =
            stored.json?[member: "eventType"] == line.body[member: "eventType"]
            && stored.json?[member: "payload"]?.canonicalBytes() == line.body[member: "payload"]?.canonicalBytes()
        guard same else {
            let id = stored.json?[member: "id"]?.stringValue ?? "another message"
            return .failed(
                APIClientError(
                    status: 409,
                    code: conflict.code,
                    detail: "eventId \(eventID) is already used by \(id), whose event type or payload differs"
                )
            )
        }
        return .alreadySent(stored)
    }
}

/// A file `message send --file` cannot read.
struct BulkSendError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension BulkSend {
    /// What a bulk send prints when it ends: the summary line, and for anything not stored the errors, which lines
    /// are stored and which are not, and whether sending the file again is safe.
    struct Report: Sendable {
        /// Line numbers by what became of them.
        var sent: [Int] = []
        var alreadySent: [Int] = []
        var failed: [Int] = []
        /// In flight when a signal stopped the send: may or may not be stored.
        var interrupted: [Int] = []
        /// Not sent at all: a signal stopped the send first.
        var notSent: [Int] = []
        /// The errors of the failed lines, in order; lines that failed one after the other with the same error
        /// are one entry (a server that went away is one line, not one per line).
        var errors: [(lines: [Int], error: String)] = []
        /// Lines not stored that have neither an `eventId` nor an idempotency key: sending them again may store
        /// them twice.
        var unsafeToResend: [Int] = []

        /// Sorts the outcomes of a send.
        init(lines: [Line], outcomes: [Outcome?]) {
            for (line, outcome) in zip(lines, outcomes) {
                switch outcome {
                case .sent?: sent.append(line.number)
                case .alreadySent?: alreadySent.append(line.number)
                case .failed(let error)?:
                    failed.append(line.number)
                    let text = "\(error)"
                    if let last = errors.last, last.error == text {
                        errors[errors.count - 1].lines.append(line.number)
                    } else {
                        errors.append(([line.number], text))
                    }
                case .interrupted?: interrupted.append(line.number)
                case nil: notSent.append(line.number)
                }
                let stored: Bool
                switch outcome {
                case .sent?, .alreadySent?: stored = true
                default: stored = false
                }
                if !stored, line.eventID == nil, line.idempotencyKey == nil { unsafeToResend.append(line.number) }
            }
        }

        /// Whether every line is stored now.
        var allStored: Bool { failed.isEmpty && interrupted.isEmpty && notSent.isEmpty }

        /// `sent 12 of 40 message(s) to app_x, 28 already sent`.
        func summary(app: String) -> String {
            let total = sent.count + alreadySent.count + failed.count + interrupted.count + notSent.count
            var text = "sent \(sent.count) of \(total) message(s) to \(app)"
            if !alreadySent.isEmpty { text += ", \(alreadySent.count) already sent" }
            if !failed.isEmpty { text += ", \(failed.count) failed" }
            if !interrupted.isEmpty || !notSent.isEmpty {
                text += ", \(interrupted.count + notSent.count) not sent (interrupted)"
            }
            return text
        }

        /// The lines for stderr: each error with its lines, then (when not everything is stored) which lines are
        /// stored, which are not, and whether the file can be sent again.
        func details() -> [String] {
            var out = errors.map { entry in "error: \(Self.lines(entry.lines)): \(entry.error)" }
            guard !allStored else { return out }
            let stored = (sent + alreadySent).sorted()
            out.append("stored: " + (stored.isEmpty ? "none" : Self.lines(stored)))
            if !failed.isEmpty { out.append("failed: \(Self.lines(failed))") }
            if !interrupted.isEmpty {
                out.append("interrupted in flight (may or may not be stored): \(Self.lines(interrupted))")
            }
            if !notSent.isEmpty { out.append("not sent (interrupted): \(Self.lines(notSent))") }
            if unsafeToResend.isEmpty {
                out.append(
                    "send the file again for the rest: lines already stored are recognised by their eventId or "
                        + "idempotency key and not stored twice"
                )
            } else {
                out.append(
                    "send the file again for the rest; but \(Self.lines(unsafeToResend)) "
                        + "\(unsafeToResend.count == 1 ? "has" : "have") no eventId and no idempotency key "
                        + "(--no-idempotency-keys), so what of them reached the server may be stored twice"
                )
            }
            return out
        }

        /// `line 7`, or `lines 1-3, 7, 9-12` for sorted line numbers.
        static func lines(_ numbers: [Int]) -> String {
            var ranges: [String] = []
            var start = numbers.first ?? 0
            var end = start
            for number in numbers.dropFirst() {
                if number == end + 1 {
                    end = number
                    continue
                }
                ranges.append(start == end ? "\(start)" : "\(start)-\(end)")
                start = number
                end = number
            }
            if !numbers.isEmpty { ranges.append(start == end ? "\(start)" : "\(start)-\(end)") }
            return (numbers.count == 1 ? "line " : "lines ") + ranges.joined(separator: ", ")
        }
    }
}
