//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// Any provider that signs with a plain HMAC, described by the source's options:
///
/// | Option | Meaning | Default |
/// |---|---|---|
/// | `header` | the header carrying the signature (required) | |
/// | `algorithm` | `sha1`, `sha256` or `sha512` | `sha256` |
/// | `encoding` | `hex` or `base64` | `hex` |
/// | `prefix` | text before the signature(s), e.g. `sha256=` | none |
/// | `timestampHeader` | a header of Unix seconds, checked against the tolerance (default 300 s) | none |
/// | `template` | the signed content, with `{timestamp}` and `{body}` placeholders | `{body}` |
/// | `eventTypeHeader`, `eventTypePointer` | the event type's header, or RFC 6901 pointer into the body | `webhook` |
/// | `eventIdHeader`, `eventIdPointer` | where the event id is | none |
///
/// After the prefix, the header may hold several signatures separated by commas or spaces; any match is enough.
public struct HMACInboundVerifier: InboundVerifier {
    public static let provider = "hmac"
    public static let defaultToleranceSeconds: Int? = 300

    public init() {}

    public func verify(_ request: InboundRequest, settings: InboundSourceSettings, now: Timestamp) -> InboundVerdict {
        do throws(InboundSupport.Refusal) {
            let options = settings.options
            let secrets = try InboundSupport.secrets(settings)
            guard let headerName = options["header"], !headerName.isEmpty else {
                throw InboundSupport.Refusal("the source has no header option")
            }
            let algorithmName = options["algorithm"]?.lowercased() ?? "sha256"
            guard let algorithm = InboundSupport.Algorithm(rawValue: algorithmName) else {
                throw InboundSupport.Refusal("unsupported algorithm \(algorithmName)")
            }
            let encoding = options["encoding"]?.lowercased() ?? "hex"
            guard encoding == "hex" || encoding == "base64" else {
                throw InboundSupport.Refusal("unsupported encoding \(encoding)")
            }
            var header = try InboundSupport.require(headerName, in: request)
            var timestamp = ""
            if let timestampHeader = options["timestampHeader"], !timestampHeader.isEmpty {
                timestamp = try InboundSupport.require(timestampHeader, in: request)
                let seconds = try InboundSupport.unixSeconds(timestamp, what: "\(timestampHeader) header")
                try InboundSupport.checkFreshness(
                    seconds,
                    now: now,
                    tolerance: InboundSupport.tolerance(settings, default: Self.defaultToleranceSeconds!)
                )
            }
            if let prefix = options["prefix"], !prefix.isEmpty {
                guard header.hasPrefix(prefix) else {
                    throw InboundSupport.Refusal("\(headerName) does not start with \(prefix)")
                }
                header.removeFirst(prefix.count)
            }
            let signatures = header.split { $0 == "," || $0 == " " }.compactMap { part in
                encoding == "hex" ? InboundSupport.unhex(part) : InboundSupport.unbase64(part)
            }
            guard !signatures.isEmpty else { throw InboundSupport.Refusal("malformed \(headerName) header") }
            let content = Self.signedContent(
                template: options["template"] ?? "{body}",
                timestamp: timestamp,
                body: request.body
            )
            guard
                secrets.contains(where: {
                    InboundSupport.anyValid(signatures, content: content, key: Array($0.utf8), algorithm: algorithm)
                })
            else { throw InboundSupport.Refusal("no signature matches") }
            let payload = try InboundSupport.payload(request)
            func lookup(header: String?, pointer: String?) -> String? {
                if let header, !header.isEmpty, let value = request.header(header) { return value }
                if let pointer { return payload.value(atPointer: pointer)?.scalarText }
                return nil
            }
            return .accepted(
                InboundEvent(
                    eventType: InboundSupport.eventType(
                        lookup(header: options["eventTypeHeader"], pointer: options["eventTypePointer"])
                    ),
                    eventID: InboundSupport.eventID(
                        lookup(header: options["eventIdHeader"], pointer: options["eventIdPointer"])
                    ),
                    payload: payload
                )
            )
        } catch {
            return .refused(error.refusal)
        }
    }

    /// The template with `{timestamp}` and `{body}` replaced; the body goes in as raw bytes.
    static func signedContent(template: String, timestamp: String, body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var rest = Substring(template)
        while !rest.isEmpty {
            if rest.hasPrefix("{body}") {
                out += body
                rest = rest.dropFirst("{body}".count)
            } else if rest.hasPrefix("{timestamp}") {
                out += timestamp.utf8
                rest = rest.dropFirst("{timestamp}".count)
            } else {
                out += String(rest.first!).utf8
                rest = rest.dropFirst()
            }
        }
        return out
    }
}
