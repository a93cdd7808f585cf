//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// How an endpoint is reached: over HTTP at its URL, or down the stream of the listener (`hookbird listen`) its
/// `hookbird-listen://<endpoint id>` URL names (``StreamEndpoint``). Told from the URL once, when the endpoint is
/// made or its URL changes, and carried with it, so that nothing reads the URL again to route a delivery.
public enum EndpointKind: Hashable, Sendable {
    case http
    /// A stream endpoint: its deliveries go to the listener connected to this endpoint id.
    case stream(listener: EndpointID)

    /// The kind of an endpoint with this URL.
    public init(url: String) {
        if let listener = StreamEndpoint.endpoint(inURL: url) {
            self = .stream(listener: listener)
        } else {
            self = .http
        }
    }

    /// The endpoint whose listener takes the deliveries of a stream endpoint; `nil` for an HTTP one.
    public var listener: EndpointID? {
        if case .stream(let listener) = self { return listener }
        return nil
    }
}
