//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import HookbirdClient
import HookbirdCore
import NIOHTTP1

/// What `apply` would change: the file's resources compared with the server's, kind by kind.
struct ApplyPlan {
    let api: APIClient
    let prune: Bool
    /// In the order they are sent: creations and changes, then deletions (endpoints before their applications).
    var changes: [PlannedChange] = []
    var unchanged = 0
    /// What the server has and the file does not name (without --prune).
    var notInFile: [String] = []

    mutating func compare(_ desired: DesiredResources) async throws {
        let existingEventTypes = try await api.listAll("event-type", query: [("with_content", "true")])
        try await diff(.eventType, desired.eventTypes, existing: existingEventTypes, collection: "event-type")
        let existingApps = try await api.listAll("app")
        try await diff(
            .application, desired.applications.map { ($0.key, $0.fields) }, existing: existingApps, collection: "app"
        )
        let existingUIDs = Set(existingApps.compactMap { $0[member: "uid"]?.stringValue })
        for app in desired.applications {
            let collection = "app/\(APIClient.path(app.key))/endpoint"
            let existing = existingUIDs.contains(app.key) ? try await api.listAll(collection) : []
            try await diff(.endpoint, app.endpoints, existing: existing, collection: collection, labelPrefix: "\(app.key)/")
        }
        try await diff(
            .operationalEndpoint, desired.operationalEndpoints,
            existing: try await api.listAll("operational-webhook/endpoint"), collection: "operational-webhook/endpoint"
        )
        try await compareSources(desired.sources, apps: existingApps)

        let deletions = changes.filter { if case .delete = $0.action { true } else { false } }
        changes = changes.filter { if case .delete = $0.action { false } else { true } }
            + deletions.filter { $0.kind.name != ResourceKind.application.name }
            + deletions.filter { $0.kind.name == ResourceKind.application.name }
    }

    /// Plans the creations, changes, secret rotations and deletions that make one collection match the file.
    mutating func diff(
        _ kind: ResourceKind,
        _ wanted: [DesiredResources.Item],
        existing: [JSONValue],
        collection: String,
        labelPrefix: String = ""
    ) async throws {
        var byKey: [String: JSONValue] = [:]
        for item in existing { if let key = item[member: kind.key]?.stringValue { byKey[key] = item } }
        for (key, fields) in wanted {
            try await diff(kind, key: key, fields: fields, current: byKey[key], collection: collection, labelPrefix)
        }
        let named = Set(wanted.map(\.key))
        for item in existing {
            let key = item[member: kind.key]?.stringValue
            guard key == nil || !named.contains(key!) else { continue }
            let id = key ?? item[member: "id"]?.stringValue ?? "?"
            if prune {
                let itemID = item[member: "id"]?.stringValue ?? id
                changes.append(
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

    private mutating func diff(
        _ kind: ResourceKind,
        key: String,
        fields: [String: JSONValue],
        current: JSONValue?,
        collection: String,
        _ labelPrefix: String
    ) async throws {
        let label = labelPrefix + key
        let itemPath = "\(collection)/\(APIClient.path(key))"
        var body = fields
        let secret = body.removeValue(forKey: "secret")
        let secrets = body.removeValue(forKey: "secrets")  // a source's: compared on their own
        guard let current else {
            if let secret { body["secret"] = secret }
            if let secrets { body["secrets"] = secrets }
            changes.append(
                .init(action: .create, kind: kind, label: label, method: .POST, path: collection, body: .object(body))
            )
            return
        }
        let changed = body.keys.sorted().filter { $0 != kind.key && !Apply.same(body[$0], current[member: $0]) }
        if !changed.isEmpty {
            changes.append(
                .init(
                    action: .update(changed), kind: kind, label: label, method: .PATCH, path: itemPath,
                    body: .object(body)
                )
            )
        }
        var rotated = false
        if let secret, kind.hasSecret, try await api.json(.GET, "\(itemPath)/secret")[member: "key"] != secret {
            rotated = true
            changes.append(
                .init(
                    action: .rotateSecret, kind: kind, label: label, method: .POST,
                    path: "\(itemPath)/secret/rotate", body: .object(["key": secret])
                )
            )
        }
        if changed.isEmpty && !rotated { unchanged += 1 }
    }

    /// Sources: `app` is compared as the uid of the source's application; the provider cannot change; secrets are
    /// compared with the stored ones and sent when they differ.
    mutating func compareSources(_ sources: [DesiredResources.Item], apps existingApps: [JSONValue]) async throws {
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
        func existing(_ key: String) -> JSONValue? {
            existingSources.first { $0[member: "uid"]?.stringValue == key }
        }
        for source in sources {
            guard let current = existing(source.key) else { continue }
            if let provider = source.fields["provider"], provider != current[member: "provider"] {
                Output.error(
                    "error: sources[\(source.key)].provider: a source's provider cannot change (it is "
                        + (current[member: "provider"]?.stringValue ?? "?")
                        + "); give it another uid; nothing was applied"
                )
                throw ExitCode.failure
            }
        }
        let sourcesBefore = changes.count
        try await diff(.source, sources, existing: existingSources, collection: "source")
        // The API's names: appId for app.
        for index in changes.indices.dropFirst(sourcesBefore) {
            guard case .object(var body)? = changes[index].body else { continue }
            if let app = body.removeValue(forKey: "app") { body["appId"] = app }
            if changes[index].method == .PATCH { body.removeValue(forKey: "provider") }
            changes[index].body = .object(body)
        }
        for source in sources {
            guard let secrets = source.fields["secrets"], existing(source.key) != nil else { continue }
            let path = "source/\(APIClient.path(source.key))"
            guard try await api.json(.GET, "\(path)/secret")[member: "secrets"] != secrets else { continue }
            if let index = changes.firstIndex(where: { $0.kind.name == "source" && $0.label == source.key }),
                case .object(var body)? = changes[index].body
            {
                body["secrets"] = secrets
                changes[index].body = .object(body)
                if case .update(let fields) = changes[index].action {
                    changes[index].action = .update(fields + ["secrets"])
                }
            } else {
                changes.append(
                    .init(
                        action: .update(["secrets"]), kind: .source, label: source.key, method: .PATCH, path: path,
                        body: .object(["secrets": secrets])
                    )
                )
                unchanged -= 1
            }
        }
    }
}
