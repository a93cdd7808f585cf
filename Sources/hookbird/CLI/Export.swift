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

/// `hookbird export`.
struct Export: ClientCommand {
    static func sorted(_ items: [JSONValue], by key: String) -> [JSONValue] {
        items.sorted { ($0[member: key]?.stringValue ?? "") < ($1[member: key]?.stringValue ?? "") }
    }

    static let configuration = CommandConfiguration(
        abstract: "Write the server's event types, applications, endpoints and sources as a file for `hookbird apply`.",
        discussion: """
            YAML on stdout (or --output). Only what has a uid can be matched by apply, so applications and endpoints \
            without one are left out (listed on stderr). Signing secrets are written only with --include-secrets.
            """
    )

    @OptionGroup var options: ClientOptions

    @Flag(help: "Write the endpoints' signing secrets too.")
    var includeSecrets = false

    @Option(name: .shortAndLong, help: "Write to this file instead of stdout.")
    var output: String?

    func run(api: APIClient, output out: Output) async throws {
        var skipped: [String] = []
        func pick(_ item: JSONValue, _ kind: ResourceKind) -> [String: JSONValue]? {
            guard let key = item[member: kind.key]?.stringValue else { return nil }
            var fields: [String: JSONValue] = [kind.key: .string(key)]
            for field in kind.fields {
                guard let value = item[member: field], Apply.same(value, nil) == false else { continue }
                if value == .bool(false) { continue }
                fields[field] = value
            }
            return fields
        }
        func withSecret(_ fields: inout [String: JSONValue], _ path: String) async throws {
            guard includeSecrets else { return }
            fields["secret"] = try await api.json(.GET, "\(path)/secret")[member: "key"]
        }

        var document: [String: JSONValue] = [:]
        let eventTypes = try await api.listAll("event-type", query: [("with_content", "true")])
        document["eventTypes"] = .array(eventTypes.compactMap { pick($0, .eventType) }.map(JSONValue.object))
        var applications: [JSONValue] = []
        for app in try await api.listAll("app") {
            guard var fields = pick(app, .application), let uid = app[member: "uid"]?.stringValue else {
                skipped.append("application \(app[member: "id"]?.stringValue ?? "?")")
                continue
            }
            var endpoints: [JSONValue] = []
            let collection = "app/\(APIClient.path(uid))/endpoint"
            for endpoint in try await api.listAll(collection) {
                guard var endpointFields = pick(endpoint, .endpoint), let key = endpoint[member: "uid"]?.stringValue
                else {
                    skipped.append("endpoint \(uid)/\(endpoint[member: "id"]?.stringValue ?? "?")")
                    continue
                }
                try await withSecret(&endpointFields, "\(collection)/\(APIClient.path(key))")
                endpoints.append(.object(endpointFields))
            }
            if !endpoints.isEmpty { fields["endpoints"] = .array(endpoints) }
            applications.append(.object(fields))
        }
        document["applications"] = .array(applications)
        var idToUID: [String: String] = [:]
        for app in try await api.listAll("app") {
            if let id = app[member: "id"]?.stringValue, let uid = app[member: "uid"]?.stringValue { idToUID[id] = uid }
        }
        var sources: [JSONValue] = []
        for source in try await api.listAll("source") {
            guard case .object(var item) = source, let key = item["uid"]?.stringValue,
                let app = item["appId"]?.stringValue.flatMap({ idToUID[$0] })
            else {
                let id = source[member: "id"]?.stringValue ?? "?"
                skipped.append("source \(id) (no uid, or its application has none)")
                continue
            }
            item["app"] = .string(app)
            guard var fields = pick(.object(item), .source) else { continue }
            if includeSecrets {
                fields["secrets"] = try await api.json(.GET, "source/\(APIClient.path(key))/secret")[member: "secrets"]
            }
            sources.append(.object(fields))
        }
        document["sources"] = .array(sources)
        var operational: [JSONValue] = []
        for endpoint in try await api.listAll("operational-webhook/endpoint") {
            guard var fields = pick(endpoint, .operationalEndpoint), let key = endpoint[member: "uid"]?.stringValue
            else {
                skipped.append("operational-webhook endpoint \(endpoint[member: "id"]?.stringValue ?? "?")")
                continue
            }
            try await withSecret(&fields, "operational-webhook/endpoint/\(APIClient.path(key))")
            operational.append(.object(fields))
        }
        document["operationalEndpoints"] = .array(operational)

        // Each list in the order of its keys, so that the same state is written the same way.
        for (section, kind) in [("eventTypes", ResourceKind.eventType), ("applications", .application),
                                ("sources", .source), ("operationalEndpoints", .operationalEndpoint)] {
            guard case .array(let items)? = document[section] else { continue }
            document[section] = .array(Self.sorted(items, by: kind.key).map { item in
                guard case .object(var fields) = item, case .array(let endpoints)? = fields["endpoints"] else {
                    return item
                }
                fields["endpoints"] = .array(Self.sorted(endpoints, by: "uid"))
                return .object(fields)
            })
        }
        let yaml = try Yams.dump(object: ResourcesFile.yaml(.object(document)), sortKeys: true)
        let text = "# hookbird export from \(options.baseURL)\(includeSecrets ? " (with secrets)" : "")\n" + yaml
        if let path = output {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } else {
            print(text, terminator: "")
        }
        if !skipped.isEmpty {
            Output.error("left out (no uid, so apply could not match them): \(skipped.joined(separator: ", "))")
        }
    }
}
