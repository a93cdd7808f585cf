//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// The dashboard's Mustache templates, in `Resources/templates`, compiled into the binary (`.embedInCode` resources)
/// so that Hookbird stays one file to deploy.
///
/// Every page extends `layout` (`{{<layout}}{{$content}}…{{/content}}{{/layout}}`). `{{ }}` escapes HTML; the
/// templates never use `{{{ }}}`, so everything shown, payloads and response bodies included, is escaped.
enum Templates {
    /// Each template by name (its file's, without `.mustache`), without the file's last line break.
    static let all: [String: String] = [
        "app": PackageResources.app_mustache,
        "apps": PackageResources.apps_mustache,
        "attempts": PackageResources.attempts_mustache,
        "endpoint": PackageResources.endpoint_mustache,
        "error": PackageResources.error_mustache,
        "layout": PackageResources.layout_mustache,
        "login": PackageResources.login_mustache,
        "message": PackageResources.message_mustache,
        "pager": PackageResources.pager_mustache,
        "rate": PackageResources.rate_mustache,
        "source": PackageResources.source_mustache,
        "sources": PackageResources.sources_mustache,
        "status": PackageResources.status_mustache,
        "time": PackageResources.time_mustache,
    ].mapValues { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}
