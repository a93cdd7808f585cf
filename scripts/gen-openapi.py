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
