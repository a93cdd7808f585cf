//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import HookbirdClient
import HookbirdCore
import NIOHTTP1
import Yams

/// A kind of resource that `apply` and `export` handle, and how the API names it.
struct ResourceKind: Sendable {
    /// As the plan names it: "application".
    let name: String
    /// The file's list of them: "applications".
    let section: String
    /// The field they are matched by: `uid`, or `name` for event types.
    let key: String
    /// The fields compared, sent and exported (besides the key).
    let fields: [String]
    /// Whether it has a signing secret (`secret` in the file).
    let hasSecret: Bool

    static let eventType = ResourceKind(
        name: "event type",
        section: "eventTypes",
        key: "name",
        fields: ["description", "schemas", "archived", "deprecated", "featureFlag"],
        hasSecret: false
    )
    static let application = ResourceKind(
        name: "application",
        section: "applications",
        key: "uid",
        fields: ["name", "metadata", "throttleRate"],
        hasSecret: false
    )
    static let endpoint = ResourceKind(
        name: "endpoint",
        section: "endpoints",
        key: "uid",
        fields: ["url", "description", "eventTypes", "channels", "metadata", "disabled", "throttleRate", "maxInFlight"],
        hasSecret: true
    )
    /// Inbound sources: `app` is the application's uid (the API's `appId`), `secrets` their provider secrets.
    static let source = ResourceKind(
        name: "source",
        section: "sources",
        key: "uid",
        fields: ["name", "provider", "app", "toleranceSeconds", "allowedIps", "maxBody", "options"],
        hasSecret: false
    )
    static let operationalEndpoint = ResourceKind(
        name: "operational-webhook endpoint",
        section: "operationalEndpoints",
        key: "uid",
        fields: ["url", "description", "eventTypes", "metadata", "disabled", "throttleRate"],
        hasSecret: true
    )
}

/// One step of a plan.
struct PlannedChange: Sendable {
    enum Action: Sendable { case create, update([String]), rotateSecret, delete }
    var action: Action
    var kind: ResourceKind
    /// `acme`, or `acme/main` for an endpoint.
    var label: String
    var method: HTTPMethod
    var path: String
    var body: JSONValue?

    var line: String {
        switch action {
        case .create: "+ create \(kind.name) \(label)"
        case .update(let fields): "~ update \(kind.name) \(label): \(fields.joined(separator: ", "))"
        case .rotateSecret: "~ set the secret of \(kind.name) \(label)"
        case .delete: "- delete \(kind.name) \(label)"
        }
    }
}

/// A mistake in the resources file, found before anything is sent.
struct ResourcesFileError: Error, CustomStringConvertible {
    let description: String
}

/// The resources file: what `apply` reads and `export` writes.
enum ResourcesFile {
    static let sections = ["eventTypes", "applications", "sources", "operationalEndpoints"]
    static var sectionList: String { sections.joined(separator: ", ") }

    /// Parses YAML (or JSON, which is YAML too) into JSON values.
    static func load(_ path: String) throws -> [String: JSONValue] {
        let text: String
        do {
            text = path == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                : try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ResourcesFileError(description: "\(path): cannot read it (\(error.localizedDescription))")
        }
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw ResourcesFileError(description: "\(path): not valid YAML or JSON: \(error)")
        }
        guard let document else { return [:] }
        guard case .object(let top) = json(document) else {
            throw ResourcesFileError(description: "\(path): expected a mapping with \(sectionList)")
        }
        if let unknown = top.keys.sorted().first(where: { !sections.contains($0) }) {
            throw ResourcesFileError(
                description: "\(path): unknown section '\(unknown)'; the sections are \(sectionList)"
            )
        }
        return top
    }

    /// A YAML value as JSON.
    static func json(_ value: Any) -> JSONValue {
        switch value {
        case let bool as Bool: .bool(bool)
        case let int as Int: .int(Int64(int))
        case let double as Double: .double(double)
        case let string as String: .string(string)
        case let array as [Any]: .array(array.map(json))
        case let object as [String: Any]: .object(object.mapValues(json))
        default: .null
        }
    }

    /// JSON as a value Yams writes.
    static func yaml(_ value: JSONValue) -> Any {
        switch value {
        case .null: NSNull()
        case .bool(let bool): bool
        case .int(let int): Int(int)
        case .double(let double): double
        case .string(let string): string
        case .array(let array): array.map(yaml)
        case .object(let object): object.mapValues(yaml)
        }
    }

    /// The items of a section, each checked: a key, no field the kind does not have, an endpoint URL that is one.
    static func items(
        _ value: JSONValue?,
        _ kind: ResourceKind,
        at place: String,
        extra: Set<String> = []
    ) throws -> [(key: String, fields: [String: JSONValue])] {
        guard let value else { return [] }
        guard case .array(let array) = value else {
            throw ResourcesFileError(description: "\(place): expected a list of \(kind.name)s")
        }
        var seen = Set<String>()
        var items: [(key: String, fields: [String: JSONValue])] = []
        for (index, item) in array.enumerated() {
            guard case .object(let fields) = item else {
                throw ResourcesFileError(description: "\(place)[\(index)]: expected a mapping")
            }
            guard case .string(let key)? = fields[kind.key], !key.isEmpty else {
                throw ResourcesFileError(
                    description: "\(place)[\(index)]: every \(kind.name) needs its \(kind.key), which apply matches by"
                )
            }
            let label = "\(place)[\(key)]"
            guard seen.insert(key).inserted else {
                throw ResourcesFileError(description: "\(label): named twice")
            }
            let allowed = Set(kind.fields + [kind.key] + (kind.hasSecret ? ["secret"] : [])).union(extra)
            if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw ResourcesFileError(
                    description: "\(label).\(unknown): not a field of an \(kind.name) ("
                        + allowed.sorted().joined(separator: ", ") + ")"
                )
            }
            if kind.hasSecret {
                guard case .string(let url)? = fields["url"] else {
                    throw ResourcesFileError(description: "\(label).url: an endpoint needs its url")
                }
                guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                    let host = parsed.host, !host.isEmpty
                else {
                    throw ResourcesFileError(description: "\(label).url: '\(url)' is not an http:// or https:// URL")
                }
                if let secret = fields["secret"], secret.stringValue == nil {
                    throw ResourcesFileError(description: "\(label).secret: expected a string (whsec_…)")
                }
            }
            items.append((key, fields))
        }
        return items
    }
}

extension APIClient {
    /// Every item of a list route, page after page.
    func listAll(_ path: String, query extra: [(String, String?)] = []) async throws -> [JSONValue] {
        var items: [JSONValue] = []
        var iterator: String?
        while true {
            let page = try await json(.GET, path, query: [("limit", "250"), ("iterator", iterator)] + extra)
            if case .array(let data)? = page[member: "data"] { items += data }
            iterator = page[member: "iterator"]?.stringValue
            if page[member: "done"] == .bool(true) || iterator == nil { return items }
        }
    }
}

