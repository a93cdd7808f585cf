//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdClient
import HookbirdCore
import Testing

@testable import hookbird

@Suite struct BulkSendTests {
    static let file = Array(
        """
        {"eventType": "a.b", "payload": {"n": 1}, "eventId": "evt-1"}

        {"eventType": "a.b", "payload": {"n": 2}}
        {"eventType": "a.b", "payload": {"n": 3}, "eventId": null}

        """.utf8
    )

    @Test func linesKeepTheirNumbersAndLinesWithoutEventIdGetAKeyFromTheFile() throws {
        let send = try BulkSend(contents: Self.file, idempotencyKeys: true)
        #expect(send.lines.map(\.number) == [1, 3, 4])
        #expect(send.lines.map(\.eventID) == ["evt-1", nil, nil])
        let digest = Digest.sha256Hex(Self.file)
        #expect(send.lines.map(\.idempotencyKey) == [nil, "hookbird-file-\(digest)-3", "hookbird-file-\(digest)-4"])
        // The same file gives the same keys; another file gives others.
        #expect(try BulkSend(contents: Self.file, idempotencyKeys: true).lines.map(\.idempotencyKey)
            == send.lines.map(\.idempotencyKey))
        let other = try BulkSend(contents: Self.file + Array("\n".utf8), idempotencyKeys: true)
        #expect(other.lines[1].idempotencyKey != send.lines[1].idempotencyKey)

        let withoutKeys = try BulkSend(contents: Self.file, idempotencyKeys: false)
        #expect(withoutKeys.lines.allSatisfy { $0.idempotencyKey == nil })
    }

    @Test func aLineThatIsNotAnObjectIsNamed() {
        #expect(throws: BulkSendError.self) { try BulkSend(contents: Array("{}\n[1]\n".utf8), idempotencyKeys: true) }
        do {
            _ = try BulkSend(contents: Array("{}\n\nnot json\n".utf8), idempotencyKeys: true)
        } catch {
            #expect(error.description == "--file: line 3 is not a JSON object")
        }
    }

    @Test func lineRanges() {
        typealias Report = BulkSend.Report
        #expect(Report.lines([7]) == "line 7")
        #expect(Report.lines([1, 2, 3, 7, 9, 10, 11, 12]) == "lines 1-3, 7, 9-12")
        #expect(Report.lines([4, 5]) == "lines 4-5")
    }

    @Test func reportOfAPartlyFailedSend() throws {
        let file = (1...6).map { #"{"eventType":"a","payload":{"n":\#($0)}}"# + "\n" }.joined()
        let send = try BulkSend(contents: Array(file.utf8), idempotencyKeys: true)
        let ok = APIClient.Response(status: 202, text: "{}")
        let down = APIClientError(status: nil, code: "unreachable", detail: "cannot reach x: connection refused")
        let invalid = APIClientError(status: 422, body: "")
        let report = BulkSend.Report(
            lines: send.lines,
            outcomes: [.sent(ok), .alreadySent(ok), .failed(invalid), .failed(down), .failed(down), nil]
        )
        #expect(!report.allStored)
        #expect(
            report.summary(app: "app_1")
                == "sent 1 of 6 message(s) to app_1, 1 already sent, 3 failed, 1 not sent (interrupted)"
        )
        #expect(
            report.details() == [
                "error: line 3: 422 unprocessable_entity: Unprocessable Entity",
                "error: lines 4-5: unreachable: cannot reach x: connection refused",
                "stored: lines 1-2",
                "failed: lines 3-5",
                "not sent (interrupted): line 6",
                "send the file again for the rest: lines already stored are recognised by their eventId or "
                    + "idempotency key and not stored twice",
            ]
        )

        let unkeyed = try BulkSend(contents: Array(#"{"eventType":"a","payload":{}}"#.utf8), idempotencyKeys: false)
        let lost = BulkSend.Report(lines: unkeyed.lines, outcomes: [.interrupted])
        #expect(lost.details().last?.contains("line 1 has no eventId and no idempotency key") == true)

        let done = BulkSend.Report(lines: send.lines, outcomes: Array(repeating: .sent(ok), count: 6))
        #expect(done.allStored && done.details().isEmpty)
        #expect(done.summary(app: "acme") == "sent 6 of 6 message(s) to acme")
    }
}
