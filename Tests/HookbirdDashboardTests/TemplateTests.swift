//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HookbirdCore
import Mustache
import Testing

@testable import HookbirdDashboard

@Suite struct TemplateTests {
    let now = Timestamp(unixSeconds: 1_800_000_000)

    func page<Body>(_ body: Body, title: String = "Title") -> Page<Body> {
        Page(
            title: title,
            signedIn: true,
            orgScope: true,
            who: "org_test",
            csrf: "csrf-token-value",
            crumbs: [Crumb(label: "Applications", href: "/dashboard/apps")],
            flash: Flash("Resend queued"),
            body: body
        )
    }

    @Test func everyTemplateCompiles() throws {
        let renderer = try PageRenderer()
        for name in Templates.all.keys {
            #expect(renderer.library.getTemplate(named: name) != nil, "\(name)")
        }
    }

    @Test func layoutCarriesCSRFAndFlash() throws {
        let html = try PageRenderer().html(
            "error",
            page(ErrorPageBody(status: 404, heading: "Not Found", detail: "gone"))
        )
        #expect(html.contains("<title>Title · Hookbird</title>"))
        #expect(html.contains(#"name="csrf" value="csrf-token-value""#))
        #expect(html.contains("Resend queued"))
        #expect(html.contains("404 · Not Found"))
        #expect(html.contains(#"<a href="/dashboard/apps">Applications</a>"#))
        #expect(html.contains(#"href="/dashboard/sources""#))
    }

    @Test func contentIsEscaped() throws {
        let row = MessageRow(
            id: "msg_1",
            href: "/dashboard/apps/app_1/messages/msg_1",
            eventType: "<script>alert(1)</script>",
            eventID: "\"quoted\"",
            createdAt: TimeText(now, now: now)
        )
        let body = AppBody(
            id: "app_1",
            uid: nil,
            name: "<b>Acme</b>",
            createdAt: TimeText(now, now: now),
            endpoints: [],
            messages: [row],
            olderHref: nil,
            newestHref: nil
        )
        let html = try PageRenderer().html("app", page(body, title: "<b>Acme</b>"))
        #expect(!html.contains("<script>alert(1)</script>"))
        #expect(!html.contains("<b>Acme</b>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&quot;quoted&quot;"))
    }

    @Test func timesAreRelativeAndAbsolute() {
        let text = TimeText(now.adding(seconds: -300), now: now)
        #expect(text.relative == "5 min ago")
        #expect(text.absolute == "2027-01-15 07:55:00 UTC")
        #expect(TimeText.relative(seconds: 10) == "just now")
        #expect(TimeText.relative(seconds: 7200) == "in 2 h")
        #expect(TimeText.relative(seconds: -3 * 86_400) == "3 d ago")
        #expect(TimeText.parseInput("2027-01-15T07:55") == now.adding(seconds: -300))
        #expect(TimeText.parseInput(TimeText.inputValue(now)) == now)
        #expect(TimeText.parseInput("yesterday") == nil)
    }

    @Test func ratesAreRoundedDown() {
        #expect(RateText(success: 0, fail: 0) == nil)
        #expect(RateText(success: 10, fail: 0)?.percent == "100 %")
        #expect(RateText(success: 2, fail: 1)?.percent == "66.6 %")
        #expect(RateText(success: 2, fail: 1)?.tone == "bad")
        #expect(RateText(success: 999, fail: 1)?.tone == "good")
    }
}
