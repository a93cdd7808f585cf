//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// The URLs of stream endpoints: endpoints whose webhooks go down a `hookbird listen` stream instead of to an HTTP
/// URL. Such an endpoint's URL is `hookbird-listen://<endpoint id>`; the API creates them and the delivery engine
/// recognises them, so both sides read and write the URL here.
///
/// ```swift
/// let url = StreamEndpoint.url(for: id)              // "hookbird-listen://ep_…"
/// StreamEndpoint.endpoint(inURL: url) == id          // true
/// StreamEndpoint.endpoint(inURL: "https://x.test")   // nil
/// ```
public enum StreamEndpoint {
    /// The URL scheme of stream endpoints.
    public static let scheme = "hookbird-listen"

    /// The URL of the stream endpoint with this id.
    public static func url(for endpoint: EndpointID) -> String { "\(scheme)://\(endpoint.rawValue)" }

    /// The endpoint a stream-endpoint URL names, or `nil` for any other URL.
    public static func endpoint(inURL url: String) -> EndpointID? {
        let prefix = "\(scheme)://"
        guard url.hasPrefix(prefix) else { return nil }
        return EndpointID(rawValue: String(url.dropFirst(prefix.count)))
    }
}
