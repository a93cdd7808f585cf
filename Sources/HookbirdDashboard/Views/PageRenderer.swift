//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// Renders the dashboard's pages from the templates compiled into the binary.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    /// Compiles every template.
    /// - Throws: A template's parse error (a bug in ``Templates``; the template tests catch it).
    init() throws {
        var library = MustacheLibrary()
        for (name, text) in Templates.all {
            try library.register(text, named: name)
        }
        self.library = library
    }

    /// The page as HTML.
    func html<Body>(_ template: String, _ page: Page<Body>) -> String {
        library.render(page, withTemplate: template) ?? ""
    }

    /// The page as a response, with the headers every dashboard page carries.
    func response<Body>(_ template: String, _ page: Page<Body>, status: HTTPResponse.Status = .ok) -> Response {
        Self.htmlResponse(html(template, page), status: status)
    }

    /// An HTML response that is never cached, never framed, and may load nothing but Hookbird's own stylesheet.
    static func htmlResponse(_ html: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[.xFrameOptions] = "DENY"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "same-origin"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A 303 to another dashboard page (Post/Redirect/Get, or to the sign-in page).
    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
