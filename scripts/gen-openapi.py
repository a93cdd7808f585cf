#!/usr/bin/env python3
"""Writes Sources/HookbirdAPI/Resources/openapi.json: Hookbird's OpenAPI document, served at /openapi.json (compiled
into the binary: an `.embedInCode` resource of HookbirdAPI).

The document is the one description of what the server answers; nothing else states it. It is made of
  * the operations Hookbird shares with Svix, taken from Svix's own documents (scripts/openapi/svix-openapi.json,
    svix-server's spec, and scripts/openapi/svix-lib-subset.json, the operations of Svix's full spec that only its
    cloud has), with their request and response schemas as Svix wrote them, and only ever tightened here
    (`tighten` refuses to widen a constraint);
  * Hookbird's own operations (sources, /webhook/{source}, listen streams, operational PATCH routes);
  * for every operation, the exact list of statuses Hookbird answers (ROUTES below), errors included, each error
    a shared component (`#/components/responses/…`).

Three checks keep it true (README, "The API contract"): Tests/HookbirdAPITests/OpenAPIDocumentTests.swift walks
every route the router registers and requires it in the document and the other way round; tests/contract runs
schemathesis against a real server with the document (every check) and with Svix's spec; and tests/contract also
regenerates this file and fails when it differs from the one committed.

    python3 scripts/gen-openapi.py                      # after changing ROUTES or a route
    python3 scripts/gen-openapi.py --check              # exit 1 when the committed file is stale
    python3 scripts/gen-openapi.py --refresh-lib PATH   # re-extract svix-lib-subset.json from Svix's lib-openapi.json
"""
import copy
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(ROOT, "scripts", "openapi")
SPEC = os.path.join(HERE, "svix-openapi.json")
LIB_SUBSET = os.path.join(HERE, "svix-lib-subset.json")
OUT = os.path.join(ROOT, "Sources", "HookbirdAPI", "Resources", "openapi.json")

# ---------------------------------------------------------------------------------------------------------------------
# Errors: one shared response per status, all `{"code","detail"}` except 422.

ERRORS = {
    "400": ("BadRequest", "HttpErrorOut",
            "`bad_token` (a JWT whose subject is not an organisation or application), or the operation's own "
            "(`invalid_range`, `limit_reached`, `missing_payload`, `not_replayable`)."),
    "401": ("Unauthorized", "HttpErrorOut", "No token, or one that is not valid (`authentication_failed`)."),
    "403": ("Forbidden", "HttpErrorOut",
            "`insufficient access`: an app-scoped token on an organisation's route, or the management organisation's "
            "token."),
    "404": ("NotFound", "HttpErrorOut", "`not_found`: nothing of that id or uid that the token may see."),
    "409": ("Conflict", "HttpErrorOut", "`conflict` (or a more precise code): the uid, name or event id is taken."),
    "413": ("PayloadTooLarge", "HttpErrorOut", "`payload_too_large`: the body is over `--max-body`."),
    "422": ("ValidationError", "HTTPValidationError",
            "The body, a query parameter or a path parameter is not valid; `loc` names it (`[\"body\", field]`, "
            "`[\"query\", name]`, `[\"path\", name]`)."),
    "503": ("ServiceUnavailable", "HttpErrorOut",
            "`service_unavailable`: the database did not answer; nothing was changed, try again."),
}

# Statuses every route behind the token answers, and those of routes that read a body or have path parameters.
AUTH = {"400", "401", "403", "503"}
BODY = {"413", "422"}

# ---------------------------------------------------------------------------------------------------------------------
# Every route Hookbird serves under /api/v1 and /webhook: (method, path) -> origin and statuses.
#   origin: "svix" (svix-server's spec), "lib" (Svix's full spec), "hookbird" (defined below)
#   ok: the success statuses (their bodies come from the origin, or from OWN_SUCCESS)
#   errors: the error statuses beyond those implied (AUTH for every route with a token; 404 with path parameters;
#           BODY with a request body)

ROUTES = {}


def route(method, path, origin, ok, errors=(), auth=True, body=None):
    ROUTES[(method, path)] = {"origin": origin, "ok": [str(s) for s in ok], "errors": {str(e) for e in errors},
                              "auth": auth, "body": body}


APP = "/api/v1/app/{app_id}"
EP = APP + "/endpoint/{endpoint_id}"
OPS = "/api/v1/operational-webhook/endpoint"
SRC = "/api/v1/source/{source_id}"

route("get", "/api/v1/health", "svix", [200], errors=[503], auth=False)
route("head", "/api/v1/health", "svix", [200], errors=[503], auth=False)
route("get", "/api/v1/health/ping", "svix", [204], auth=False)
route("head", "/api/v1/health/ping", "svix", [204], auth=False)
route("post", "/api/v1/auth/logout", "svix", [204])

route("get", "/api/v1/app", "svix", [200], errors=[422])
route("post", "/api/v1/app", "svix", [200, 201], errors=[409], body=True)
route("get", APP, "svix", [200])
route("put", APP, "svix", [200, 201], errors=[409], body=True)
route("patch", APP, "svix", [200], errors=[409], body=True)
route("delete", APP, "svix", [204])

route("get", "/api/v1/event-type", "svix", [200], errors=[422])
route("post", "/api/v1/event-type", "svix", [201], errors=[409], body=True)
route("get", "/api/v1/event-type/{event_type_name}", "svix", [200])
route("put", "/api/v1/event-type/{event_type_name}", "svix", [200, 201], errors=[409], body=True)
route("patch", "/api/v1/event-type/{event_type_name}", "svix", [200], body=True)
route("delete", "/api/v1/event-type/{event_type_name}", "svix", [204], errors=[422])

route("get", APP + "/endpoint", "svix", [200], errors=[422])
route("post", APP + "/endpoint", "svix", [201], errors=[409], body=True)
route("get", EP, "svix", [200])
route("put", EP, "svix", [200, 201], errors=[409], body=True)
route("patch", EP, "svix", [200], errors=[409], body=True)
route("delete", EP, "svix", [204])
route("get", EP + "/secret", "svix", [200])
route("post", EP + "/secret/rotate", "svix", [200], body=True)
route("get", EP + "/headers", "svix", [200])
route("put", EP + "/headers", "svix", [204], body=True)
route("patch", EP + "/headers", "svix", [204], body=True)
route("get", EP + "/stats", "svix", [200], errors=[422])
route("post", EP + "/recover", "svix", [202], body=True)
route("post", EP + "/replay-missing", "lib", [202], body=True)

route("get", APP + "/msg", "svix", [200], errors=[422])
route("post", APP + "/msg", "svix", [202], errors=[409], body=True)
route("get", APP + "/msg/{msg_id}", "svix", [200], errors=[422])
route("get", APP + "/attempt/endpoint/{endpoint_id}", "svix", [200], errors=[422])
route("get", APP + "/attempt/msg/{msg_id}", "svix", [200], errors=[422])
route("get", APP + "/msg/{msg_id}/attempt/{attempt_id}", "svix", [200])
route("post", APP + "/msg/{msg_id}/endpoint/{endpoint_id}/resend", "svix", [202], errors=[413])

route("get", OPS, "lib", [200], errors=[422])
route("post", OPS, "lib", [201], errors=[409], body=True)
route("get", OPS + "/{endpoint_id}", "lib", [200])
route("put", OPS + "/{endpoint_id}", "lib", [200, 201], errors=[409], body=True)
route("patch", OPS + "/{endpoint_id}", "hookbird", [200], errors=[409], body=True)
route("delete", OPS + "/{endpoint_id}", "lib", [204])
route("get", OPS + "/{endpoint_id}/secret", "lib", [200])
route("post", OPS + "/{endpoint_id}/secret/rotate", "lib", [204], body=True)
route("get", OPS + "/{endpoint_id}/headers", "lib", [200])
route("put", OPS + "/{endpoint_id}/headers", "lib", [204], body=True)
route("patch", OPS + "/{endpoint_id}/headers", "hookbird", [204], body=True)

route("get", "/api/v1/source", "hookbird", [200], errors=[422])
route("post", "/api/v1/source", "hookbird", [201], errors=[409], body=True)
route("get", SRC, "hookbird", [200])
route("patch", SRC, "hookbird", [200], errors=[409], body=True)
route("delete", SRC, "hookbird", [204])
route("get", SRC + "/secret", "hookbird", [200])
route("get", SRC + "/stats", "hookbird", [200])
route("get", SRC + "/request", "hookbird", [200], errors=[422])
route("get", SRC + "/request/{request_id}", "hookbird", [200])
route("post", SRC + "/request/{request_id}/replay", "hookbird", [202], errors=[413])

route("post", APP + "/listen", "hookbird", [200, 201], errors=[409], body=True)
route("get", APP + "/listen/{endpoint_id}/stream", "hookbird", [200], errors=[409])
route("post", APP + "/listen/{endpoint_id}/result", "hookbird", [204], errors=[409], body=True)

route("get", "/webhook/{source}", "hookbird", [200], auth=False)
route("post", "/webhook/{source}", "hookbird", [200], auth=False)


# ---------------------------------------------------------------------------------------------------------------------
# Tightening Svix's schemas: Hookbird refuses more than Svix's document says (what svix-server refuses too, or a
# rule of Hookbird's own). A constraint may be added or narrowed, never widened.

def tighten(schema, **keywords):
    for key, value in keywords.items():
        key = key.rstrip("_")
        old = schema.get(key)
        if old is not None and old != value:
            narrower = {
                "maximum": lambda: value <= old, "maxLength": lambda: value <= old, "maxItems": lambda: value <= old,
                "minimum": lambda: value >= old, "minLength": lambda: value >= old, "minItems": lambda: value >= old,
                "enum": lambda: set(value) <= set(old), "required": lambda: set(old) <= set(value),
            }.get(key)
            if key == "pattern":
                # A pattern may only be replaced by one the caller states is narrower (checked by the samples).
                pass
            elif narrower is None or not narrower():
                sys.exit(f"tighten would widen {key}: {old!r} -> {value!r}")
        schema[key] = value


# No control characters 0x00-0x08 (svix-server's rule for names and descriptions).
TEXT = "^[^\\u0000-\\u0008]*$"
IDENTIFIER = "^[a-zA-Z0-9\\-_.]+$"
# `whsec_` (optional) and the canonical base64 of 24 to 75 bytes, or `whsk_` and an ed25519 key (32 or 64 bytes).
B64 = "[A-Za-z0-9+/]"
SECRET = (f"^(?:(?:whsec_)?(?:(?:{B64}{{4}}){{8,25}}|(?:{B64}{{4}}){{8,24}}(?:{B64}{{3}}=|{B64}{{2}}==))"
          f"|whsk_(?:(?:{B64}{{4}}){{10}}{B64}{{3}}=|(?:{B64}{{4}}){{21}}{B64}{{2}}==))$")
HEADER_VALUE = "^[^\\r\\n\\u0000]*$"
# OperationalWebhooks.eventTypes: the only event types an operational webhook endpoint may filter on.
OPERATIONAL_EVENT_TYPES = ["endpoint.created", "endpoint.updated", "endpoint.deleted", "endpoint.disabled",
                           "message.attempt.exhausted", "message.attempt.failing", "message.attempt.recovered"]


def iterator_parameter(prefix):
    return {"type": "string", "nullable": True, "pattern": f"^-?{prefix}[0-9A-Za-z]{{27}}$",
            "description": f"The `iterator` or `prevIterator` of a previous page: `{prefix}…`, `-` before it to go back."}


def tighten_svix(schemas, paths):
    """Hookbird's rules on Svix's schemas. Each is what the server enforces (Validation, EndpointValidation)."""
    for name in ("ApplicationIn", "ApplicationPatch"):
        props = schemas[name]["properties"]
        tighten(props["name"], minLength=1, pattern=TEXT)
        tighten(props["throttleRate"], minimum=1, maximum=65535)
    for name in ("EndpointIn", "EndpointUpdate", "EndpointPatch", "OperationalWebhookEndpointIn",
                 "OperationalWebhookEndpointUpsertIn", "OperationalWebhookEndpointPatch"):
        props = schemas[name]["properties"]
        tighten(props["description"], pattern=TEXT)
        tighten(props["throttleRate"], minimum=1, maximum=65535)
        tighten(props["url"], maxLength=65536)
        if "channels" in props:
            tighten(props["channels"], minItems=1, maxItems=10)
        tighten(props["eventTypes"], minItems=1)
        if "secret" in props:
            tighten(props["secret"], pattern=SECRET)
        if "headers" in props:
            tighten(props["headers"]["additionalProperties"], maxLength=4096, pattern=HEADER_VALUE)
    for name in ("OperationalWebhookEndpointIn", "OperationalWebhookEndpointUpsertIn", "OperationalWebhookEndpointPatch"):
        tighten(schemas[name]["properties"]["eventTypes"]["items"], enum=OPERATIONAL_EVENT_TYPES)
    # Hookbird's extension: an endpoint's own limit of requests in flight (InFlightLimit.range), per node.
    for name in ("EndpointIn", "EndpointUpdate", "EndpointPatch", "EndpointOut"):
        schemas[name]["properties"]["maxInFlight"] = {
            "type": "integer", "format": "int32", "minimum": 1, "maximum": 10000,
            "nullable": name in ("EndpointIn", "EndpointUpdate", "EndpointPatch"),
            "description": "Hookbird's extension: requests in flight to this endpoint at most, per node (unset: the "
                           "server's --endpoint-max-in-flight); halved per timeout in a row, down to 1.",
        }
    # Hookbird's extension of the stats: what the delivery engine of the node that answers does for the endpoint now
    # (absent on a node without one).
    for prop, what in (("inFlight", "requests in flight to the endpoint from this node"),
                       ("inFlightLimit", "the requests in flight it is held to now (its limit, halved per timeout in a row)"),
                       ("timeoutsInARow", "its latest requests that timed out, in a row"),
                       ("waitingForSlot", "its deliveries waiting in this node for a slot")):
        schemas["EndpointStats"]["properties"][prop] = {
            "type": "integer", "format": "int32", "minimum": 0, "description": f"Hookbird's extension: {what}."}
    # The secret shown is `whsec_…`, or for an ed25519 endpoint its public key `whpk_…`: Svix's full spec (the one
    # its SDKs are generated from) allows both prefixes there; svix-server's only the first.
    tighten(schemas["EndpointSecretOut"]["properties"]["key"],
            pattern="^(whsec_|whpk_)?[a-zA-Z0-9+/=]{32,100}$")
    for name in ("EndpointSecretRotateIn", "OperationalWebhookEndpointSecretIn"):
        tighten(schemas[name]["properties"]["key"], pattern=SECRET)
    for name in ("EndpointHeadersIn", "OperationalWebhookEndpointHeadersIn"):
        tighten(schemas[name]["properties"]["headers"]["additionalProperties"], maxLength=4096, pattern=HEADER_VALUE)
    tighten(schemas["EndpointHeadersPatchIn"]["properties"]["headers"]["additionalProperties"],
            maxLength=4096, pattern=HEADER_VALUE)
    for name in ("EventTypeIn", "EventTypeUpdate", "EventTypePatch"):
        tighten(schemas[name]["properties"]["description"], pattern=TEXT)
    # svix-server caps a message's channels at 5 and its retention at 5-90 days, as its spec says; no more to add.
    # Lists: Svix's own SDK spec bounds `limit` to 1-250 (svix-server refuses 0 and > 250 as well).
    for item in paths.values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and parameter["name"] == "limit":
                    tighten(schema, minimum=1, maximum=250)


# ---------------------------------------------------------------------------------------------------------------------
# Hookbird's own schemas.

STRING = {"type": "string"}


def own_schemas(schemas):
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    schemas["HealthOut"] = {
        "type": "object", "required": ["status", "database"],
        "properties": {"status": {"type": "string", "enum": ["ok", "unavailable"]},
                       "database": {"type": "string", "enum": ["ok", "unavailable"]}},
        "description": "svix-server answers its health check with 200 and a body too (Svix's spec says 204).",
    }
    options = {
        "type": "object",
        "additionalProperties": {"type": "string", "maxLength": 4096},
        "description": "Provider options. For `hmac`: header, algorithm (sha1|sha256|sha512), encoding (hex|base64), "
        "prefix, timestampHeader, template ({timestamp}, {body}), eventTypeHeader, eventTypePointer, eventIdHeader, "
        "eventIdPointer. They may also be given at the top level of the body.",
    }
    providers = ["stripe", "github", "slack", "shopify", "standard-webhooks", "svix", "gitlab", "twilio", "discord",
                 "telegram", "linear", "paddle", "zoom", "hmac"]
    uid = {"type": "string", "minLength": 1, "maxLength": 256, "pattern": IDENTIFIER, "nullable": True}
    secrets = {"type": "array", "minItems": 1, "maxItems": 10,
               "items": {"type": "string", "minLength": 1, "maxLength": 1024}}
    schemas["SourceIn"] = {
        "type": "object",
        "required": ["name", "provider", "secrets", "appId"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "pattern": TEXT}, "uid": uid,
            "provider": {"type": "string", "enum": providers}, "secrets": secrets,
            "appId": {"type": "string", "description": "The application (id or uid) whose endpoints get the events."},
            "toleranceSeconds": {"type": "integer", "minimum": 1, "maximum": 86400, "nullable": True},
            "allowedIps": {"type": "array", "items": STRING, "nullable": True,
                           "description": "CIDR ranges allowed to send."},
            "maxBody": {"type": "integer", "minimum": 1, "nullable": True}, "options": dict(options, nullable=True),
        },
    }
    schemas["SourcePatch"] = {
        "type": "object",
        "description": "The fields given are changed; `null` leaves a field as it is (clears `uid` and "
        "`toleranceSeconds`).",
        "properties": {k: dict(v, nullable=True) for k, v in schemas["SourceIn"]["properties"].items()
                       if k != "provider"},
    }
    schemas["SourceOut"] = {
        "type": "object",
        "required": ["id", "name", "provider", "appId", "ingestUrl", "allowedIps", "maxBody", "options", "createdAt",
                     "updatedAt"],
        "properties": {
            "id": {"type": "string", "example": "src_2yZwUhtgs5Ai8T9yRQJXA"}, "uid": STRING, "name": STRING,
            "provider": STRING, "appId": STRING, "ingestUrl": STRING, "toleranceSeconds": {"type": "integer"},
            "allowedIps": {"type": "array", "items": STRING}, "maxBody": {"type": "integer"},
            "options": {"type": "object", "additionalProperties": STRING},
            "createdAt": {"type": "string", "format": "date-time"},
            "updatedAt": {"type": "string", "format": "date-time"},
        },
    }
    schemas["SourceSecretsOut"] = {"type": "object", "required": ["secrets"],
                                   "properties": {"secrets": {"type": "array", "items": STRING}}}
    schemas["InboundRequestOut"] = {
        "type": "object",
        "required": ["id", "sourceId", "method", "path", "headers", "body", "bodyEncoding", "receivedAt", "verdict"],
        "properties": {
            "id": STRING, "sourceId": STRING, "method": STRING, "path": STRING, "query": STRING,
            "headers": {"type": "array", "items": {"type": "array", "items": STRING}}, "body": STRING,
            "bodyEncoding": {"type": "string", "enum": ["utf8", "base64"]}, "remoteAddress": STRING,
            "receivedAt": {"type": "string", "format": "date-time"},
            "verdict": {"type": "string", "enum": ["accepted", "duplicate", "handshake", "refused"]},
            "reason": STRING, "eventId": STRING, "msgId": STRING,
        },
    }
    for item in ("SourceOut", "InboundRequestOut"):
        schemas[f"ListResponse_{item}_"] = {
            "type": "object", "required": ["data", "done", "iterator"],
            "properties": {"data": {"type": "array", "items": ref(item)}, "done": {"type": "boolean"},
                           "iterator": {"type": "string", "nullable": True},
                           "prevIterator": {"type": "string", "nullable": True}},
        }
    schemas["SourceStatsOut"] = {
        "type": "object", "required": ["accepted", "duplicate", "handshake", "refused", "refusedByReason"],
        "properties": {"accepted": {"type": "integer"}, "duplicate": {"type": "integer"},
                       "handshake": {"type": "integer"}, "refused": {"type": "integer"},
                       "refusedByReason": {"type": "object", "additionalProperties": {"type": "integer"}}},
    }
    names = {"type": "array", "nullable": True, "minItems": 1,
             "items": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": IDENTIFIER}}
    channels = copy.deepcopy(names)
    channels["maxItems"] = 10
    channels["items"]["maxLength"] = 128
    schemas["ListenIn"] = {
        "type": "object",
        "properties": {"uid": uid, "description": {"type": "string", "pattern": TEXT, "nullable": True},
                       "eventTypes": names, "channels": channels},
        "description": "Registers a stream endpoint, or with an existing uid updates it (filters replaced, enabled "
        "again). `eventTypes` must name existing event types.",
    }
    schemas["ListenOut"] = {
        "type": "object", "required": ["endpointId", "url", "secret", "streamUrl", "resultUrl"],
        "properties": {"endpointId": STRING, "uid": {"type": "string", "nullable": True}, "url": STRING,
                       "secret": STRING, "eventTypes": {"type": "array", "nullable": True, "items": STRING},
                       "channels": {"type": "array", "nullable": True, "items": STRING}, "streamUrl": STRING,
                       "resultUrl": STRING},
    }
    schemas["ListenResultIn"] = {
        "type": "object", "required": ["token"],
        # A status or an error, not null: the listener either got an answer or could not reach its target.
        "anyOf": [{"required": ["status"], "properties": {"status": {"type": "integer", "minimum": 100,
                                                                      "maximum": 599}}},
                  {"required": ["error"], "properties": {"error": {"type": "string"}}}],
        "properties": {"token": STRING, "status": {"type": "integer", "minimum": 100, "maximum": 599,
                                                   "nullable": True},
                       "body": {"type": "string", "nullable": True},
                       "retryAfter": {"type": "string", "nullable": True},
                       "error": {"type": "string", "nullable": True}},
        "description": "The local answer to one webhook (status, body, retryAfter), or error when it was not reached.",
    }
    patch = copy.deepcopy(schemas["EndpointPatch"])
    patch["description"] = "Hookbird's PATCH of an operational webhook endpoint: the fields given are changed."
    schemas["OperationalWebhookEndpointPatch"] = patch
    schemas["IngestOut"] = {"type": "object", "additionalProperties": True,
                            "description": "The provider's expected answer (or `{\"ok\":true}`)."}


def own_operation(method, path, info):
    """Request side of Hookbird's own operations."""
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in re.findall(r"{([^}]+)}", path)]

    def query(name, schema):
        params.append({"name": name, "in": "query", "required": False, "schema": schema})

    operation = {"tags": ["Hookbird"], "parameters": params}
    body = None
    if path == "/api/v1/source":
        operation.update(tags=["Source"], summary={"get": "List sources", "post": "Create a source"}[method])
        if method == "get":
            query("limit", {"type": "integer", "minimum": 1, "maximum": 250})
            query("iterator", iterator_parameter("src_"))
            query("order", ref("Ordering"))
        else:
            body = "SourceIn"
    elif path.startswith(SRC):
        operation["tags"] = ["Source"]
        tail = path[len(SRC):]
        operation["summary"] = {
            ("get", ""): "Get a source (id or uid)", ("patch", ""): "Update a source",
            ("delete", ""): "Delete a source", ("get", "/secret"): "Get a source's secrets",
            ("get", "/stats"): "Counts of a source's requests",
            ("get", "/request"): "List a source's stored requests, newest first",
            ("get", "/request/{request_id}"): "Get a stored request",
            ("post", "/request/{request_id}/replay"): "Forward an accepted request again",
        }[(method, tail)]
        if (method, tail) == ("patch", ""):
            body = "SourcePatch"
        if (method, tail) == ("get", "/request"):
            query("limit", {"type": "integer", "minimum": 1, "maximum": 250})
            query("iterator", iterator_parameter("inreq_"))
            query("verdict", {"type": "string", "enum": ["accepted", "duplicate", "handshake", "refused"]})
            query("since", {"type": "string", "format": "date-time"})
            query("until", {"type": "string", "format": "date-time"})
    elif path.startswith("/webhook/"):
        operation.update(tags=["Ingest"], summary="Receive a provider's webhook")
        operation["description"] = (
            "Verified on the raw bytes with the source's provider scheme. Answers what the provider expects: 200 "
            "when accepted or a duplicate, a handshake's answer (GET for providers that check with one), 401 "
            "refused (JSON reason), 403 address not allowed, 404 unknown source, 413 body too large.")
        if method == "post":
            operation["requestBody"] = {"required": False, "content": {"*/*": {"schema": {}}}}
    elif path.endswith("/listen"):
        operation.update(tags=["Listen"], summary="Register a stream endpoint (`hookbird listen`)")
        operation["description"] = ("201 when created, 200 when the uid already names a stream endpoint; 409 when "
                                    "it names an ordinary endpoint.")
        body = "ListenIn"
    elif path.endswith("/stream"):
        operation.update(tags=["Listen"], summary="A stream endpoint's webhooks as server-sent events")
        operation["description"] = (
            "text/event-stream: a `ready` event ({endpointId, expedited}), then one `webhook` event per delivery "
            "({token, msgId, eventType, headers: [[name, value]], body}) and comment lines as heartbeats. Connecting "
            "makes the endpoint's deliveries waiting for a retry due at once; a new connection replaces the previous "
            "one, whose stream ends with a `replaced` event. 409 for an endpoint that is not a stream endpoint.")
    elif path.endswith("/result"):
        operation.update(tags=["Listen"], summary="Report the outcome of a streamed webhook")
        operation["description"] = ("404 when no delivery waits under the token (it timed out, or the listener "
                                    "reconnected); 409 for an endpoint that is not a stream endpoint.")
        body = "ListenResultIn"
    elif path == OPS + "/{endpoint_id}":
        operation.update(tags=["Webhook Endpoint"], summary="Update an operational webhook endpoint (Hookbird)")
        body = "OperationalWebhookEndpointPatch"
    elif path == OPS + "/{endpoint_id}/headers":
        operation.update(tags=["Webhook Endpoint"],
                         summary="Change some of an operational webhook endpoint's headers (Hookbird)")
        body = "EndpointHeadersPatchIn"
    else:
        sys.exit(f"no definition for Hookbird's {method.upper()} {path}")
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    return operation


OWN_SUCCESS = {
    # (method, path, status) -> response, for Hookbird's own operations and where Hookbird answers differently.
    ("get", "/api/v1/health", "200"): {"description": "The database answers.",
                                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HealthOut"}}}},
    ("head", "/api/v1/health", "200"): {"description": "The database answers (no body)."},
    ("get", "/api/v1/health/ping", "204"): {"description": "The server is up (the database is not asked)."},
    ("head", "/api/v1/health/ping", "204"): {"description": "The server is up (the database is not asked)."},
    ("post", "/api/v1/auth/logout", "204"): {"description": "Nothing to end: Hookbird keeps no token sessions."},
    ("post", EP + "/secret/rotate", "200"): {
        "description": "The new secret. (Svix's spec says 204; Svix's SDKs read this body.)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EndpointSecretOut"}}}},
    ("put", OPS + "/{endpoint_id}", "201"): "200",
    ("patch", OPS + "/{endpoint_id}", "200"): {
        "description": "The endpoint.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OperationalWebhookEndpointOut"}}}},
    ("patch", OPS + "/{endpoint_id}/headers", "204"): {"description": "Changed."},
    ("get", "/api/v1/source", "200"): "ListResponse_SourceOut_",
    ("post", "/api/v1/source", "201"): "SourceOut",
    ("get", SRC, "200"): "SourceOut",
    ("patch", SRC, "200"): "SourceOut",
    ("delete", SRC, "204"): {"description": "Deleted."},
    ("get", SRC + "/secret", "200"): "SourceSecretsOut",
    ("get", SRC + "/stats", "200"): "SourceStatsOut",
    ("get", SRC + "/request", "200"): "ListResponse_InboundRequestOut_",
    ("get", SRC + "/request/{request_id}", "200"): "InboundRequestOut",
    ("post", SRC + "/request/{request_id}/replay", "202"): "MessageOut",
    ("post", APP + "/listen", "200"): "ListenOut",
    ("post", APP + "/listen", "201"): "ListenOut",
    ("get", APP + "/listen/{endpoint_id}/stream", "200"): {
        "description": "The stream: server-sent events, each `event` with JSON `data`.",
        "content": {"text/event-stream": {"schema": {
            "type": "object", "required": ["event", "data"],
            "properties": {"event": {"type": "string", "enum": ["ready", "webhook", "replaced"]},
                           "data": {"type": "string"}}}}}},
    ("post", APP + "/listen/{endpoint_id}/result", "204"): {"description": "Recorded."},
    ("get", "/webhook/{source}", "200"): {"description": "A handshake's answer.", "content": {"*/*": {"schema": {}}}},
    ("post", "/webhook/{source}", "200"): {"description": "Accepted, or a duplicate.",
                                           "content": {"*/*": {"schema": {}}}},
}

WEBHOOK_ERRORS = {"401", "403", "404", "413", "503"}


def success(method, path, status, svix_responses):
    own = OWN_SUCCESS.get((method, path, status))
    if isinstance(own, dict):
        return own
    if isinstance(own, str) and own.isdigit():
        value = copy.deepcopy(svix_responses[own])
        value["description"] = "Created (an upsert whose id matched nothing)."
        return value
    if isinstance(own, str):
        return {"description": "OK", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{own}"}}}}
    if status not in svix_responses:
        sys.exit(f"{method.upper()} {path}: Svix documents no {status}; say what it answers in OWN_SUCCESS")
    return copy.deepcopy(svix_responses[status])


# ---------------------------------------------------------------------------------------------------------------------

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


def strip_samples(node):
    """Drops Svix's code samples (x-codeSamples) and other vendor extensions: they describe Svix's cloud."""
    if isinstance(node, dict):
        for key in [k for k in node if k.startswith("x-")]:
            del node[key]
        for value in node.values():
            strip_samples(value)
    elif isinstance(node, list):
        for value in node:
            strip_samples(value)


def refresh_lib(path):
    """Extracts from Svix's full spec the operations of ROUTES whose origin is "lib", with what they reference."""
    lib = json.load(open(path))
    paths = {}
    for (method, p), info in ROUTES.items():
        if info["origin"] != "lib":
            continue
        item = lib["paths"][p]
        paths.setdefault(p, {})[method] = item[method]
        if "parameters" in item:
            paths[p]["parameters"] = item["parameters"]
    components = {}
    pending = set()
    refs(paths, pending)
    seen = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, section, name = ref.split("/", 3)
        value = lib["components"][section][name]
        components.setdefault(section, {})[name] = value
        refs(value, pending)
    strip_samples(paths)
    subset = {"info": {"title": lib["info"]["title"], "version": lib["info"]["version"],
                       "x-source": "svix/svix-webhooks codegen/lib-openapi.json, the operations Hookbird implements"},
              "paths": paths, "components": components}
    with open(LIB_SUBSET, "w") as f:
        json.dump(subset, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {LIB_SUBSET}: {sum(len(v) for v in paths.values())} operations")


def build():
    spec = json.load(open(SPEC))
    lib = json.load(open(LIB_SUBSET))
    schemas = {}
    paths = {}
    # Components referenced by the Svix operations taken, from the document each operation comes from. A name both
    # documents define differently keeps svix-server's meaning; the cloud's variant is renamed with a `Cloud` suffix.
    renamed = {}
    for name, value in lib["components"]["schemas"].items():
        if name in spec["components"]["schemas"] and spec["components"]["schemas"][name] != value:
            renamed[f"#/components/schemas/{name}"] = f"#/components/schemas/{name}Cloud"

    def rename(node):
        if isinstance(node, dict):
            return {k: (renamed.get(v, v) if k == "$ref" else rename(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [rename(v) for v in node]
        return node

    lib_components = {}
    for name, value in lib["components"]["schemas"].items():
        key = f"#/components/schemas/{name}"
        lib_components[renamed.get(key, key).rsplit("/", 1)[1]] = rename(value)
    lib_paths = rename(lib["paths"])

    pending = []
    for (method, path), info in sorted(ROUTES.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        item = paths.setdefault(path, {})
        if info["origin"] in ("svix", "lib"):
            source_paths = spec["paths"] if info["origin"] == "svix" else lib_paths
            source = source_paths.get(path) or source_paths.get(path + "/")
            if source is None or method not in source:
                sys.exit(f"{method.upper()} {path} is not in Svix's {info['origin']} document")
            operation = copy.deepcopy(source[method])
            # Path-level parameters go onto the operation (an item may mix origins).
            for parameter in source.get("parameters", []):
                operation.setdefault("parameters", []).append(copy.deepcopy(parameter))
            svix_responses = operation.get("responses", {})
            pending.append((operation, info["origin"]))
        else:
            operation = own_operation(method, path, info)
            svix_responses = {}
        strip_samples(operation)
        # Path parameters Svix's document leaves undeclared (e.g. GET /api/v1/app/{app_id}); OpenAPI requires them.
        declared = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "path"}
        for name in re.findall(r"{([^}]+)}", path):
            if name not in declared:
                operation.setdefault("parameters", []).insert(
                    0, {"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
        responses = {}
        for status in info["ok"]:
            responses[status] = success(method, path, status, svix_responses)
        errors = set(info["errors"])
        if info["auth"]:
            errors |= AUTH
        if "{" in path:
            errors.add("404")
        if info["body"]:
            errors |= BODY
        if path.startswith("/webhook/"):
            errors |= WEBHOOK_ERRORS
        for status in sorted(errors):
            responses[status] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
        operation["responses"] = responses
        if not info["auth"]:
            operation["security"] = []
        else:
            operation.pop("security", None)
        item[method] = operation

    # Svix's spec gives GET and HEAD /api/v1/health one operationId; OpenAPI wants them unique.
    seen_ids = set()
    for path, item in paths.items():
        for method, operation in sorted(item.items(), key=lambda kv: kv[0] != "get"):
            if "operationId" in operation:
                if operation["operationId"] in seen_ids:
                    base = operation["operationId"]
                    operation["operationId"] = (base[:-4] if base.endswith(".get") else base) + "." + method
                seen_ids.add(operation["operationId"])
    # Components the Svix operations reference, followed transitively.
    wanted = set()
    refs(paths, wanted)
    done = set()
    while wanted:
        ref = wanted.pop()
        if ref in done or not ref.startswith("#/components/schemas/"):
            continue
        done.add(ref)
        name = ref.rsplit("/", 1)[1]
        if name in schemas:
            continue
        value = spec["components"]["schemas"].get(name) if not name.endswith("Cloud") else None
        if value is None:
            value = lib_components.get(name)
        if value is None:
            continue  # one of Hookbird's, added below
        value = copy.deepcopy(value)
        schemas[name] = value
        refs(value, wanted)
    strip_samples(schemas)
    own_schemas(schemas)
    # Hookbird's schemas may reference Svix's (MessageOut, Ordering, EndpointPatch…): make sure those are present.
    wanted = {f"#/components/schemas/{schema}" for _, schema, _ in ERRORS.values()}
    refs({"paths": paths, "schemas": schemas}, wanted)
    while wanted:
        ref = wanted.pop()
        name = ref.rsplit("/", 1)[1]
        if ref.startswith("#/components/schemas/") and name not in schemas:
            value = copy.deepcopy(spec["components"]["schemas"].get(name) or lib_components[name])
            strip_samples(value)
            schemas[name] = value
            refs(value, wanted)
    tighten_svix(schemas, paths)
    # Svix's list parameters: typed iterators (svix-server refuses an iterator of another kind with 422).
    iterators = {"/api/v1/app": "app_", APP + "/endpoint": "ep_", APP + "/msg": "msg_",
                 APP + "/attempt/endpoint/{endpoint_id}": "atmpt_", APP + "/attempt/msg/{msg_id}": "atmpt_",
                 OPS: "ep_"}
    for path, prefix in iterators.items():
        for parameter in paths[path]["get"]["parameters"]:
            if parameter["name"] == "iterator":
                if "pattern" in parameter["schema"]:
                    parameter["schema"].pop("maxLength", None)
                    parameter["schema"].pop("minLength", None)
                parameter["schema"].update(iterator_parameter(prefix))
    responses = {name: {"description": description,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
                 for status, (name, schema, description) in ERRORS.items()}
    document = {
        "openapi": "3.0.2",
        "info": {
            "title": "Hookbird API",
            "version": "0.1.0",
            "description": "Hookbird's management API: wire-compatible with Svix's /api/v1 for the operations listed "
            "here, and Hookbird's own (sources, /webhook/{source}, listen streams). Every status an operation "
            "answers is listed; errors are `{\"code\",\"detail\"}` (422: `{\"detail\":[{loc,msg,type}]}`). "
            "An unknown route is a 404 and a known one with another method a 405 (with `Allow`), both JSON.",
        },
        "security": [{"HTTPBearer": []}],
        "paths": paths,
        "components": {"schemas": schemas, "responses": responses,
                       "securitySchemes": copy.deepcopy(spec["components"]["securitySchemes"])},
    }
    missing = set()
    refs(document, missing)
    for ref in missing:
        _, _, section, name = ref.split("/", 3)
        if name not in document["components"].get(section, {}):
            sys.exit(f"unresolved {ref}")
    return document


def render(document):
    # Compact: SwiftPM's embedInCode makes a byte-array literal of it, whose compile time grows faster than its size.
    return json.dumps(document, separators=(",", ":"), sort_keys=True) + "\n"


def main(argv):
    if len(argv) >= 2 and argv[0] == "--refresh-lib":
        refresh_lib(argv[1])
        return 0
    document = build()
    text = render(document)
    if argv[:1] == ["--check"]:
        current = open(OUT).read() if os.path.exists(OUT) else ""
        if current != text:
            print(f"{OUT} is stale: run python3 scripts/gen-openapi.py", file=sys.stderr)
            return 1
        return 0
    with open(OUT, "w") as f:
        f.write(text)
    operations = sum(1 for item in document["paths"].values() for _ in item)
    print(f"wrote {OUT}: {len(document['paths'])} paths, {operations} operations, "
          f"{len(document['components']['schemas'])} schemas, {len(text)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
