#!/usr/bin/env python3
"""Writes Sources/HookbirdAPI/OpenAPIDocument.swift: Hookbird's OpenAPI document, served at /openapi.json.

It is the part of Svix's own document (../shared/reference/svix-openapi.json) that Hookbird implements, with the
components those operations reference, plus Hookbird's own differences. Run it after adding routes:
    python3 scripts/gen-openapi.py [path/to/svix-openapi.json]
"""
import json, os, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "reference", "svix-openapi.json")
# Svix's full (cloud) document, for the operations the open-source server lacks (replay-missing, operational webhooks).
LIB_SOURCE = os.path.join(os.path.dirname(SOURCE), "svix-lib-openapi.json")

IMPLEMENTED = {
    "/api/v1/health": ["get"],
    "/api/v1/app": ["get", "post"],
    "/api/v1/app/{app_id}": ["get", "put", "patch", "delete"],
    "/api/v1/event-type": ["get", "post"],
    "/api/v1/event-type/{event_type_name}": ["get", "put", "patch", "delete"],
    "/api/v1/app/{app_id}/endpoint": ["get", "post"],
    "/api/v1/app/{app_id}/endpoint/{endpoint_id}": ["get", "put", "patch", "delete"],
    "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret": ["get"],
    "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate": ["post"],
    "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers": ["get", "put", "patch"],
    "/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats": ["get"],
    "/api/v1/app/{app_id}/msg": ["get", "post"],
    "/api/v1/app/{app_id}/msg/{msg_id}": ["get"],
    "/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}": ["get"],
    "/api/v1/app/{app_id}/attempt/msg/{msg_id}": ["get"],
    "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}": ["get"],
    "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend": ["post"],
    "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover": ["post"],
}

IMPLEMENTED_FROM_LIB = {
    "/api/v1/app/{app_id}/endpoint/{endpoint_id}/replay-missing": ["post"],
    "/api/v1/operational-webhook/endpoint": ["get", "post"],
    "/api/v1/operational-webhook/endpoint/{endpoint_id}": ["get", "put", "delete"],
    "/api/v1/operational-webhook/endpoint/{endpoint_id}/secret": ["get"],
    "/api/v1/operational-webhook/endpoint/{endpoint_id}/secret/rotate": ["post"],
    "/api/v1/operational-webhook/endpoint/{endpoint_id}/headers": ["get", "put"],
}


def refs(node, out):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out.add(value)
            else:
                refs(value, out)
    elif isinstance(node, list):
        for value in node:
            refs(value, out)


def op(summary, tag="Source", body=None, ok="200", schema=None, params=(), query=(), description=None):
    """An operation of Hookbird's own (not in Svix's document)."""
    operation = {"summary": summary, "tags": [tag], "parameters": [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params] + [
        {"name": q, "in": "query", "required": False, "schema": {"type": "string"}} for q in query],
        "responses": {ok: {"description": "OK"}}}
    if description:
        operation["description"] = description
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}}
    if schema:
        operation["responses"][ok]["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return operation


def add_sources(paths, components):
    """Hookbird's own extension: inbound sources and the /webhook/{source} receiver."""
    schemas = components.setdefault("schemas", {})
    string = {"type": "string"}
    options = {
        "type": "object",
        "additionalProperties": string,
        "description": "Provider options. For `hmac`: header, algorithm (sha1|sha256|sha512), encoding (hex|base64), "
        "prefix, timestampHeader, template ({timestamp}, {body}), eventTypeHeader, eventTypePointer, eventIdHeader, "
        "eventIdPointer. They may also be given at the top level of the body.",
    }
    providers = ["stripe", "github", "slack", "shopify", "standard-webhooks", "svix", "gitlab", "twilio", "discord",
                 "telegram", "linear", "paddle", "zoom", "hmac"]
    schemas["SourceIn"] = {
        "type": "object",
        "required": ["name", "provider", "secrets", "appId"],
        "properties": {
            "name": string, "uid": string, "provider": {"type": "string", "enum": providers},
            "secrets": {"type": "array", "items": string, "minItems": 1, "maxItems": 10},
            "appId": {"type": "string", "description": "The application (id or uid) whose endpoints get the events."},
            "toleranceSeconds": {"type": "integer", "minimum": 1, "maximum": 86400},
            "allowedIps": {"type": "array", "items": string, "description": "CIDR ranges allowed to send."},
            "maxBody": {"type": "integer", "minimum": 1}, "options": options,
        },
    }
    schemas["SourcePatch"] = {
        "type": "object",
        "properties": {k: v for k, v in schemas["SourceIn"]["properties"].items() if k != "provider"},
    }
    schemas["SourceOut"] = {
        "type": "object",
        "required": ["id", "name", "provider", "appId", "ingestUrl", "allowedIps", "maxBody", "options", "createdAt",
                     "updatedAt"],
        "properties": {
            "id": {"type": "string", "example": "src_2yZwUhtgs5Ai8T9yRQJXA"}, "uid": string, "name": string,
            "provider": string, "appId": string, "ingestUrl": string, "toleranceSeconds": {"type": "integer"},
            "allowedIps": {"type": "array", "items": string}, "maxBody": {"type": "integer"}, "options": options,
            "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"},
        },
    }
    schemas["ListResponse_SourceOut_"] = {
        "type": "object", "required": ["data", "done", "iterator"],
        "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/SourceOut"}},
                       "done": {"type": "boolean"}, "iterator": {"type": "string", "nullable": True},
                       "prevIterator": {"type": "string", "nullable": True}},
    }
    schemas["InboundRequestOut"] = {
        "type": "object",
        "required": ["id", "sourceId", "method", "path", "headers", "body", "bodyEncoding", "receivedAt", "verdict"],
        "properties": {
            "id": string, "sourceId": string, "method": string, "path": string, "query": string,
            "headers": {"type": "array", "items": {"type": "array", "items": string}}, "body": string,
            "bodyEncoding": {"type": "string", "enum": ["utf8", "base64"]}, "remoteAddress": string,
            "receivedAt": {"type": "string", "format": "date-time"},
            "verdict": {"type": "string", "enum": ["accepted", "duplicate", "handshake", "refused"]},
            "reason": string, "eventId": string, "msgId": string,
        },
    }
    schemas["ListResponse_InboundRequestOut_"] = {
        "type": "object", "required": ["data", "done", "iterator"],
        "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/InboundRequestOut"}},
                       "done": {"type": "boolean"}, "iterator": {"type": "string", "nullable": True},
                       "prevIterator": {"type": "string", "nullable": True}},
    }
    schemas["SourceStatsOut"] = {
        "type": "object", "required": ["accepted", "duplicate", "handshake", "refused", "refusedByReason"],
        "properties": {"accepted": {"type": "integer"}, "duplicate": {"type": "integer"}, "handshake": {"type": "integer"},
                       "refused": {"type": "integer"}, "refusedByReason": {"type": "object", "additionalProperties": {"type": "integer"}}},
    }
    sid = ("source_id",)
    paths["/api/v1/source"] = {
        "get": op("List sources", schema="ListResponse_SourceOut_", query=("limit", "iterator", "order")),
        "post": op("Create a source", body="SourceIn", ok="201", schema="SourceOut"),
    }
    paths["/api/v1/source/{source_id}"] = {
        "get": op("Get a source (id or uid)", schema="SourceOut", params=sid),
        "patch": op("Update a source", body="SourcePatch", schema="SourceOut", params=sid),
        "delete": op("Delete a source", ok="204", params=sid),
    }
    paths["/api/v1/source/{source_id}/secret"] = {"get": op("Get a source's secrets", params=sid)}
    paths["/api/v1/source/{source_id}/stats"] = {"get": op("Counts of a source's requests", schema="SourceStatsOut", params=sid)}
    paths["/api/v1/source/{source_id}/request"] = {"get": op(
        "List a source's stored requests", schema="ListResponse_InboundRequestOut_", params=sid,
        query=("limit", "iterator", "verdict", "since", "until"))}
    paths["/api/v1/source/{source_id}/request/{request_id}"] = {"get": op(
        "Get a stored request", schema="InboundRequestOut", params=sid + ("request_id",))}
    paths["/api/v1/source/{source_id}/request/{request_id}/replay"] = {"post": op(
        "Forward an accepted request again", ok="202", params=sid + ("request_id",))}
    paths["/webhook/{source}"] = {"post": op(
        "Receive a provider's webhook", tag="Ingest", params=("source",),
        description="Verified on the raw bytes with the source's provider scheme. 404 unknown source, 413 body too "
        "large, 403 address not allowed, 401 refused (JSON reason); 200 accepted or duplicate; handshakes answered.")}


def add_listen(paths, components):
    """Hookbird's own extension: stream endpoints for `hookbird listen`."""
    schemas = components.setdefault("schemas", {})
    string = {"type": "string"}
    names = {"type": "array", "nullable": True, "items": string}
    schemas["ListenIn"] = {
        "type": "object",
        "properties": {"uid": string, "description": string, "eventTypes": names, "channels": names},
        "description": "Registers a stream endpoint, or with an existing uid updates it (filters replaced, enabled again).",
    }
    schemas["ListenOut"] = {
        "type": "object", "required": ["endpointId", "url", "secret", "streamUrl", "resultUrl"],
        "properties": {"endpointId": string, "uid": {"type": "string", "nullable": True}, "url": string,
                       "secret": string, "eventTypes": names, "channels": names, "streamUrl": string,
                       "resultUrl": string},
    }
    schemas["ListenResultIn"] = {
        "type": "object", "required": ["token"],
        "properties": {"token": string, "status": {"type": "integer"}, "body": string, "retryAfter": string,
                       "error": string},
        "description": "The local answer to one webhook (status, body, retryAfter), or error when it was not reached.",
    }
    app = ("app_id",)
    paths["/api/v1/app/{app_id}/listen"] = {"post": op(
        "Register a stream endpoint", tag="Listen", body="ListenIn", ok="201", schema="ListenOut", params=app,
        description="201 when created, 200 when the uid already names a stream endpoint; 409 when it names an "
        "ordinary endpoint.")}
    paths["/api/v1/app/{app_id}/listen/{endpoint_id}/stream"] = {"get": op(
        "A stream endpoint's webhooks as server-sent events", tag="Listen", params=app + ("endpoint_id",),
        description="text/event-stream: a `ready` event ({endpointId, expedited}), then one `webhook` event per "
        "delivery ({token, msgId, eventType, headers: [[name, value]], body}) and comment lines as heartbeats. "
        "Connecting makes the endpoint's deliveries waiting for a retry due at once; a new connection replaces the "
        "previous one, whose stream ends with a `replaced` event.")}
    paths["/api/v1/app/{app_id}/listen/{endpoint_id}/result"] = {"post": op(
        "Report the outcome of a streamed webhook", tag="Listen", body="ListenResultIn", ok="204",
        params=app + ("endpoint_id",),
        description="404 when no delivery waits under the token (it timed out, or the listener reconnected).")}


def main():
    spec = json.load(open(SOURCE))
    lib = json.load(open(LIB_SOURCE))
    paths = {}
    origin = {}
    for document, table in ((spec, IMPLEMENTED), (lib, IMPLEMENTED_FROM_LIB)):
        for path, methods in table.items():
            source = document["paths"].get(path) or document["paths"].get(path + "/")
            if source is None:
                sys.exit(f"missing in source document: {path}")
            item = {m: source[m] for m in methods if m in source}
            if "parameters" in source:
                item["parameters"] = source["parameters"]
            paths[path] = item
            origin[path] = document
    # Svix's document leaves some path parameters undeclared (e.g. GET /api/v1/app/{app_id}); OpenAPI requires them.
    import re
    for path, item in paths.items():
        names = re.findall(r"{([^}]+)}", path)
        shared = {p.get("name") for p in item.get("parameters", []) if isinstance(p, dict)}
        for method, operation in item.items():
            if method == "parameters":
                continue
            declared = shared | {p.get("name") for p in operation.get("parameters", []) if isinstance(p, dict) and p.get("in") == "path"}
            for name in names:
                if name not in declared:
                    operation.setdefault("parameters", []).insert(
                        0, {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    )
    # Hookbird answers rotate with the new key, which Svix's SDKs parse.
    rotate = paths["/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate"]["post"]
    rotate["responses"] = {k: v for k, v in rotate["responses"].items() if k != "204"}
    rotate["responses"]["200"] = {
        "description": "The new secret.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EndpointSecretOut"}}},
    }
    components = {}
    seen = set()
    for document in (spec, lib):
        pending = set()
        refs({p: v for p, v in paths.items() if origin.get(p) is document}, pending)
        while pending:
            ref = pending.pop()
            if ref in seen or not ref.startswith("#/components/"):
                continue
            seen.add(ref)
            _, _, section, name = ref.split("/", 3)
            value = document["components"][section][name]
            components.setdefault(section, {})[name] = value
            refs(value, pending)
    add_sources(paths, components)
    add_listen(paths, components)
    if "securitySchemes" in spec.get("components", {}):
        components["securitySchemes"] = spec["components"]["securitySchemes"]
    document = {
        "openapi": spec.get("openapi", "3.0.2"),
        "info": {
            "title": "Hookbird API",
            "version": "0.1.0",
            "description": "Hookbird's management API: wire-compatible with Svix's /api/v1 for the operations listed here.",
        },
        "paths": paths,
        "components": components,
    }
    if "security" in spec:
        document["security"] = spec["security"]
    text = json.dumps(document, separators=(",", ":"), sort_keys=True)
    assert '"""#' not in text
    out = os.path.join(ROOT, "Sources", "HookbirdAPI", "OpenAPIDocument.swift")
    with open(out, "w") as f:
        f.write("// Generated by scripts/gen-openapi.py; do not edit.\n\n")
        f.write("/// Hookbird's OpenAPI document, served at `/openapi.json`.\n")
        f.write("enum OpenAPIDocument {\n    static let json = #\"\"\"\n")
        f.write(text)
        f.write("\n\"\"\"#\n}\n")
    print(f"wrote {out}: {len(paths)} paths, {sum(len(v) for v in components.values())} components, {len(text)} bytes")


main()
