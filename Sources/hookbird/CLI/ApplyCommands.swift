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
        fields: ["url", "description", "eventTypes", "channels", "metadata", "disabled", "throttleRate"],
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

/// `hookbird apply -f resources.yaml`.
struct Apply: ClientCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the server's event types, applications, endpoints and sources match a file.",
        discussion: """
            The file (YAML or JSON, `-` for stdin) has up to four lists: eventTypes (matched by name), applications \
            (matched by uid, each with its endpoints, matched by uid), sources (by uid; app is the application's \
            uid, secrets the provider's) and operationalEndpoints (by uid). What the file \
            names is created, or changed where a field it gives differs; fields it leaves out are left as they are. \
            An endpoint's secret is set when given, generated by the server when not. A second apply of the same file \
            changes nothing and says so. --prune also deletes what the server has and the file does not name \
            (applications, their endpoints, event types, sources, operational-webhook endpoints). \
            `hookbird export` writes such a file. The file is checked as a whole before anything is sent.
            """
    )

    @OptionGroup var options: ClientOptions

    @Option(name: .shortAndLong, help: "The resources file (YAML or JSON; - for stdin).")
    var file: String

    @Flag(help: "Print what would change, and change nothing.")
    var dryRun = false

    @Flag(help: "Delete what the server has and the file does not name.")
    var prune = false

    func run(api: APIClient, output: Output) async throws {
        let document: [String: JSONValue]
        var desired: [(kind: ResourceKind, key: String, fields: [String: JSONValue], endpoints: JSONValue?)] = []
        do {
            document = try ResourcesFile.load(file)
            for item in try ResourcesFile.items(document["eventTypes"], .eventType, at: "eventTypes") {
                desired.append((.eventType, item.key, item.fields, nil))
            }
            for item in try ResourcesFile.items(
                document["applications"],
                .application,
                at: "applications",
                extra: ["endpoints"]
            ) {
                var fields = item.fields
                let endpoints = fields.removeValue(forKey: "endpoints")
                _ = try ResourcesFile.items(endpoints, .endpoint, at: "applications[\(item.key)].endpoints")
                desired.append((.application, item.key, fields, endpoints ?? .array([])))
            }
            for item in try ResourcesFile.items(document["sources"], .source, at: "sources", extra: ["secrets"]) {
                guard item.fields["app"]?.stringValue != nil, item.fields["provider"]?.stringValue != nil,
                    item.fields["name"]?.stringValue != nil
                else {
                    throw ResourcesFileError(
                        description: "sources[\(item.key)]: a source needs its name, provider and app"
                    )
                }
                if let secrets = item.fields["secrets"], !Self.isStringList(secrets) {
                    throw ResourcesFileError(description: "sources[\(item.key)].secrets: expected a list of strings")
                }
                desired.append((.source, item.key, item.fields, nil))
            }
            for item in try ResourcesFile.items(
                document["operationalEndpoints"],
                .operationalEndpoint,
                at: "operationalEndpoints"
            ) {
                desired.append((.operationalEndpoint, item.key, item.fields, nil))
            }
        } catch let error as ResourcesFileError {
            Output.error("error: \(error.description); nothing was applied")
            throw ExitCode.failure
        }

        var plan: [PlannedChange] = []
        var unchanged = 0
        var notInFile: [String] = []

        func diff(
            _ kind: ResourceKind,
            _ wanted: [(key: String, fields: [String: JSONValue])],
            existing: [JSONValue],
            collection: String,
            labelPrefix: String
        ) async throws {
            var byKey: [String: JSONValue] = [:]
            for item in existing { if let key = item[member: kind.key]?.stringValue { byKey[key] = item } }
            for (key, fields) in wanted {
                let label = labelPrefix + key
                let itemPath = "\(collection)/\(APIClient.path(key))"
                var body = fields
                let secret = body.removeValue(forKey: "secret")
                let secrets = body.removeValue(forKey: "secrets")  // a source's: compared on their own, below
                guard let current = byKey[key] else {
                    if let secret { body["secret"] = secret }
                    if let secrets { body["secrets"] = secrets }
                    plan.append(
                        .init(
                            action: .create, kind: kind, label: label, method: .POST, path: collection,
                            body: .object(body)
                        )
                    )
                    continue
                }
                let changed = body.keys.sorted().filter { $0 != kind.key && !Self.same(body[$0], current[member: $0]) }
                if !changed.isEmpty {
                    plan.append(
                        .init(
                            action: .update(changed), kind: kind, label: label, method: .PATCH, path: itemPath,
                            body: .object(body)
                        )
                    )
                }
                var rotated = false
                if let secret, kind.hasSecret {
                    let now = try await api.json(.GET, "\(itemPath)/secret")
                    if now[member: "key"] != secret {
                        rotated = true
                        plan.append(
                            .init(
                                action: .rotateSecret, kind: kind, label: label, method: .POST,
                                path: "\(itemPath)/secret/rotate", body: .object(["key": secret])
                            )
                        )
                    }
                }
                if changed.isEmpty && !rotated { unchanged += 1 }
            }
            let named = Set(wanted.map(\.key))
            for item in existing {
                let key = item[member: kind.key]?.stringValue
                guard key == nil || !named.contains(key!) else { continue }
                let id = key ?? item[member: "id"]?.stringValue ?? "?"
                if prune {
                    let itemID = item[member: "id"]?.stringValue ?? id
                    plan.append(
                        .init(
                            action: .delete, kind: kind, label: labelPrefix + id, method: .DELETE,
                            path: "\(collection)/\(APIClient.path(itemID))", body: nil
                        )
                    )
                } else {
                    notInFile.append("\(kind.name) \(labelPrefix + id)")
                }
            }
        }

        let eventTypes = desired.filter { $0.kind.name == ResourceKind.eventType.name }
        let existingEventTypes = try await api.listAll("event-type", query: [("with_content", "true")])
        try await diff(
            .eventType, eventTypes.map { ($0.key, $0.fields) }, existing: existingEventTypes, collection: "event-type",
            labelPrefix: ""
        )
        let applications = desired.filter { $0.kind.name == ResourceKind.application.name }
        let existingApps = try await api.listAll("app")
        try await diff(
            .application, applications.map { ($0.key, $0.fields) }, existing: existingApps, collection: "app",
            labelPrefix: ""
        )
        let existingUIDs = Set(existingApps.compactMap { $0[member: "uid"]?.stringValue })
        for app in applications {
            let endpoints = try ResourcesFile.items(app.endpoints, .endpoint, at: "applications[\(app.key)].endpoints")
            let collection = "app/\(APIClient.path(app.key))/endpoint"
            let existing = existingUIDs.contains(app.key) ? try await api.listAll(collection) : []
            try await diff(.endpoint, endpoints, existing: existing, collection: collection, labelPrefix: "\(app.key)/")
        }
        let operational = desired.filter { $0.kind.name == ResourceKind.operationalEndpoint.name }
        try await diff(
            .operationalEndpoint, operational.map { ($0.key, $0.fields) },
            existing: try await api.listAll("operational-webhook/endpoint"), collection: "operational-webhook/endpoint",
            labelPrefix: ""
        )

        // Sources: `app` is compared as the uid of the source's application; the provider cannot change.
        let appUIDs = Dictionary(
            existingApps.compactMap { app in app[member: "id"]?.stringValue.map { ($0, app[member: "uid"]) } },
            uniquingKeysWith: { first, _ in first }
        )
        var existingSources: [JSONValue] = []
        for source in try await api.listAll("source") {
            guard case .object(var fields) = source else { continue }
            fields["app"] = fields["appId"].flatMap { $0.stringValue }.flatMap { appUIDs[$0] ?? nil } ?? fields["appId"]
            existingSources.append(.object(fields))
        }
        let sources = desired.filter { $0.kind.name == ResourceKind.source.name }
        for source in sources {
            guard let current = existingSources.first(where: { $0[member: "uid"]?.stringValue == source.key }) else {
                continue
            }
            if let provider = source.fields["provider"], provider != current[member: "provider"] {
                Output.error(
                    "error: sources[\(source.key)].provider: a source's provider cannot change (it is "
                        + (current[member: "provider"]?.stringValue ?? "?")
                        + "); give it another uid; nothing was applied"
                )
                throw ExitCode.failure
            }
        }
        let sourcesBefore = plan.count
        try await diff(
            .source, sources.map { ($0.key, $0.fields) }, existing: existingSources, collection: "source",
            labelPrefix: ""
        )
        // The API's names: appId for app; secrets are compared with the stored ones and sent when they differ.
        for index in plan.indices.dropFirst(sourcesBefore) {
            guard case .object(var body)? = plan[index].body else { continue }
            if let app = body.removeValue(forKey: "app") { body["appId"] = app }
            if plan[index].method == .PATCH { body.removeValue(forKey: "provider") }
            plan[index].body = .object(body)
        }
        for source in sources {
            guard let secrets = source.fields["secrets"],
                existingSources.contains(where: { $0[member: "uid"]?.stringValue == source.key })
            else { continue }
            let path = "source/\(APIClient.path(source.key))"
            let stored = try await api.json(.GET, "\(path)/secret")[member: "secrets"]
            if stored != secrets {
                if let index = plan.firstIndex(where: { $0.kind.name == "source" && $0.label == source.key }),
                    case .object(var body)? = plan[index].body
                {
                    body["secrets"] = secrets
                    plan[index].body = .object(body)
                    if case .update(let fields) = plan[index].action {
                        plan[index].action = .update(fields + ["secrets"])
                    }
                } else {
                    plan.append(
                        .init(
                            action: .update(["secrets"]), kind: .source, label: source.key, method: .PATCH, path: path,
                            body: .object(["secrets": secrets])
                        )
                    )
                    unchanged -= 1
                }
            }
        }

        // Deletions last, endpoints before their applications.
        let deletions = plan.filter { if case .delete = $0.action { true } else { false } }
        plan = plan.filter { if case .delete = $0.action { false } else { true } }
            + deletions.filter { $0.kind.name != ResourceKind.application.name }
            + deletions.filter { $0.kind.name == ResourceKind.application.name }

        for change in plan { output.line(change.line) }
        let counts = Self.counts(plan)
        if plan.isEmpty {
            output.line("no changes: the server matches \(file) (\(unchanged) resources)")
        } else if dryRun {
            output.line("dry run: would \(counts); \(unchanged) unchanged; nothing was changed")
        } else {
            for change in plan {
                do {
                    _ = try await api.call(change.method, change.path, body: change.body)
                } catch let error as APIClientError {
                    Output.error("error: \(change.kind.name) \(change.label): \(error)")
                    throw ExitCode.failure
                }
            }
            output.line("applied: \(counts); \(unchanged) unchanged")
        }
        if !notInFile.isEmpty {
            Output.error(
                "\(notInFile.count) on the server not in \(file) (--prune deletes them): "
                    + notInFile.joined(separator: ", ")
            )
        }
    }

    static func isStringList(_ value: JSONValue) -> Bool {
        guard case .array(let items) = value else { return false }
        return items.allSatisfy { $0.stringValue != nil }
    }

    /// "create 2, update 1, delete 0".
    static func counts(_ plan: [PlannedChange]) -> String {
        var created = 0, updated = 0, deleted = 0
        for change in plan {
            switch change.action {
            case .create: created += 1
            case .update, .rotateSecret: updated += 1
            case .delete: deleted += 1
            }
        }
        return "create \(created), update \(updated), delete \(deleted)"
    }

    /// Whether the file's value is what the server has: lists of names compared as sets, no value and an empty one
    /// alike.
    static func same(_ wanted: JSONValue?, _ current: JSONValue?) -> Bool {
        func normal(_ value: JSONValue?) -> JSONValue? {
            switch value {
            case nil, .null?: return nil
            case .array(let array)? where array.isEmpty: return nil
            case .object(let object)? where object.isEmpty: return nil
            case .array(let array)?:
                let strings = array.compactMap(\.stringValue)
                return strings.count == array.count ? .array(strings.sorted().map(JSONValue.string)) : value
            case .double(let double)? where double == double.rounded(): return .int(Int64(double))
            default: return value
            }
        }
        return normal(wanted) == normal(current)
    }
}

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
