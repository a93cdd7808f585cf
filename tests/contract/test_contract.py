"""The API contract: the server against Hookbird's own /openapi.json and against Svix's OpenAPI, with schemathesis.

* Hookbird's document, every schemathesis check: nothing may fail but the few rules below that a JSON schema cannot
  state (OWN_RULES), each with its reason.
* Svix's document (svix-server's spec, scripts/openapi/svix-openapi.json) with the four checks a Svix client relies on
  (`not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance`): nothing may
  fail but the deliberate differences in SVIX_DEVIATIONS (also in README, "Differences from Svix").
* An app-scoped token: schemathesis with every path parameter pinned to another application's resources, and every
  route walked with the token's own application and the other one's endpoint and message; no answer may contain
  anything of the other application.
* The document is what scripts/gen-openapi.py makes (the committed Swift file is not edited by hand).

Runs on SQLite, and on PostgreSQL with HOOKBIRD_TEST_DATABASE=postgres (scripts/test.sh runs both). Bounded: a fixed
seed and CONTRACT_MAX_EXAMPLES examples per operation and phase.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from contract_harness import (FOUR_CHECKS, REPO_ROOT, SVIX_SPEC, Accepted, Failure, Server, run_schemathesis,
                              start_server, summary)


def loc(*parts: str, prefix: bool = False):
    """Matches a 422 whose first error is at `loc` (a regex per part; with `prefix`, at or below it)."""

    def match(failure: Failure) -> bool:
        try:
            first = json.loads(failure.response_body)["detail"][0]["loc"]
        except (ValueError, KeyError, IndexError, TypeError):
            return False
        if len(first) < len(parts) or (not prefix and len(first) != len(parts)):
            return False
        return all(re.fullmatch(p, str(f)) for p, f in zip(parts, first))

    return match


# Against Svix's spec: Hookbird's deliberate differences. Each is listed in README, "Differences from Svix".
SVIX_DEVIATIONS = [
    Accepted("GET /api/v1/health", "status_code_conformance", 200,
             "svix-server answers its health check with 200 and a JSON body (Svix's spec says 204); load balancers, "
             "tests/sdk and tests/cluster read the body, and the SDK accepts any 2xx."),
    Accepted("HEAD /api/v1/health", "status_code_conformance", 200,
             "Svix's spec documents no success at all for HEAD /health; svix-server answers 200, as Hookbird does."),
    Accepted("POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate", "status_code_conformance", 200,
             "Svix's spec says 204, but the official SDK (svix 2.9.1) parses the answer as EndpointSecretOut and "
             "fails on an empty 204; Hookbird answers 200 {\"key\": …}."),
    Accepted("GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/stats", "status_code_conformance", 400,
             "A range that is inverted, longer than 28 days or in the future is 400 `invalid_range`, svix-server's "
             "own answer; Svix's spec does not list 400 here.",
             lambda f: '"invalid_range"' in f.response_body),
    Accepted("POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate", "status_code_conformance", 400,
             "More than 10 unexpired old secrets is 400 `limit_reached`, as svix-server answers; Svix's spec does "
             "not list 400 here.",
             lambda f: '"limit_reached"' in f.response_body),
]

# Provider options, also accepted at the top level of a source's body (SourceDTO.swift, `sourceOptionKeys`).
SOURCE_OPTION_KEYS = ["header", "algorithm", "encoding", "prefix", "timestampHeader", "template", "eventTypeHeader",
                      "eventTypePointer", "eventIdHeader", "eventIdPointer"]

# Against Hookbird's own document: rules the server enforces that OpenAPI 3.0 cannot state, so schemathesis draws
# schema-valid requests that break them. Only `positive_data_acceptance` (ST202) may fail for them, with a 422 at
# exactly that field; any other field or check still fails the test.
OWN_RULES = [
    Accepted(r"(POST|PUT|PATCH) /api/v1/.*", "positive_data_acceptance", 422,
             "`eventTypes` must name existing (not archived) event types, as in svix-server: the document cannot "
             "know which exist.",
             loc("body", "eventTypes|filterTypes")),
    Accepted(r"(POST|PATCH) /api/v1/source(/\{source_id\})?", "positive_data_acceptance", 422,
             "`appId` must name an existing application of the organisation.",
             loc("body", "appId")),
    Accepted(r"(POST|PUT|PATCH) /api/v1/.*", "positive_data_acceptance", 422,
             "Header names must be HTTP tokens and not reserved (Host, Content-Type, webhook-*, svix-*…), as in "
             "svix-server; OpenAPI 3.0 has no way to constrain an object's property names.",
             loc("body", "headers", ".*")),
    Accepted(r"(POST|PUT|PATCH) /api/v1/.*", "positive_data_acceptance", 422,
             "A uid must not start with its kind's id prefix (`app_`, `ep_`, `src_`), as in svix-server; OpenAPI's "
             "regular expressions have no portable negative look-ahead.",
             lambda f: "reserved prefix" in f.response_body),
    Accepted(r"(POST|PUT|PATCH) /api/v1/.*", "positive_data_acceptance", 422,
             "`metadata` is at most 4 096 bytes once serialised, as in svix-server; JSON Schema cannot bound an "
             "object's serialised size.",
             loc("body", "metadata")),
    Accepted(r"(POST|PUT|PATCH) /api/v1/.*", "positive_data_acceptance", 422,
             "An endpoint URL must be an absolute http(s) URL with a host (Svix's `format: uri` also allows other "
             "schemes).",
             loc("body", "url")),
    Accepted(r"(POST|PATCH) /api/v1/source(/\{source_id\})?", "positive_data_acceptance", 422,
             "A source's provider options must fit its provider, its allowed IPs must be CIDR ranges and its secrets "
             "must suit the provider (a Discord public key is hex, say).",
             loc("body", "options|allowedIps|secrets|" + "|".join(SOURCE_OPTION_KEYS), prefix=True)),
    Accepted(r"GET /api/v1/app/\{app_id\}/endpoint/\{endpoint_id\}/stats", "positive_data_acceptance", 400,
             "`since`..`until` must be at most 28 days and not in the future: 400 `invalid_range`, svix-server's "
             "answer.",
             lambda f: '"invalid_range"' in f.response_body),
    Accepted(r"POST /api/v1/app/\{app_id\}/endpoint/\{endpoint_id\}/(recover|replay-missing)",
             "positive_data_acceptance", 422,
             "`since` must be before `until`, and at most 14 days before it (svix-server's rule for recover).",
             loc("body", "since|until")),
    Accepted(r"(POST|PUT|PATCH) /api/v1/.*", "negative_data_rejection", None,
             "`metadata: null` is read as `{}`, as svix-server does; Svix's schema types it non-nullable, and "
             "Hookbird keeps that stricter statement.",
             lambda f: _field_is_null(f.request_body, "metadata")),
    Accepted(r"(POST|PUT|PATCH) /api/v1/.*", "negative_data_rejection", None,
             "Repeated items in `eventTypes` or `channels` are merged, as svix-server does (it reads them into a "
             "set); Svix's schema says `uniqueItems`, and Hookbird keeps that stricter statement.",
             lambda f: _has_duplicates(f.request_body, ("eventTypes", "channels", "filterTypes"))),
    Accepted(r"DELETE /api/v1/event-type/\{event_type_name\}", "use_after_free", 200,
             "Deleting an event type archives it, as in svix-server: it is still read with `archived: true` "
             "(`?expunge=true` removes it)."),
    Accepted(r"(GET|PATCH|PUT) /api/v1/event-type/\{event_type_name\}", "use_after_free", None,
             "Deleting an event type archives it, as in svix-server: it can still be read and changed "
             "(`?expunge=true` removes it)."),
    Accepted(r".*", "ensure_resource_availability", None,
             "Deleting an event type archives it, as in svix-server (see above).",
             lambda f: "/event-type" in f.request_uri),
]


def _has_duplicates(body: str, fields) -> bool:
    try:
        value = json.loads(body)
    except ValueError:
        return False
    return isinstance(value, dict) and any(
        isinstance(value.get(name), list) and len(value[name]) != len({json.dumps(v) for v in value[name]})
        for name in fields)


def _field_is_null(body: str, field: str) -> bool:
    try:
        value = json.loads(body)
    except ValueError:
        return False
    return isinstance(value, dict) and field in value and value[field] is None


def unaccepted(failures: list[Failure], accepted: list[Accepted]) -> list[Failure]:
    return [f for f in failures if not any(a.covers(f) for a in accepted)]


def report(title: str, failures: list[Failure]) -> str:
    return f"{title}:\n" + "\n".join(f.describe() for f in failures[:40])


@pytest.fixture
def server(tmp_path: Path):
    server = start_server(tmp_path)
    try:
        seed(server)
        yield server
    finally:
        code = server.stop()
        assert code == 0, f"hookbird exited with {code}:\n{server.log_tail()}"


def seed(server: Server) -> None:
    """What Svix's examples name, so that the examples phase reaches past 404 and 422."""
    for name in ("user.signup", "user.deleted", "0"):
        server.json("POST", "/api/v1/event-type", {"name": name, "description": "seed"}, expect=(201, 409))
    app = server.json("POST", "/api/v1/app", {"name": "seed", "uid": "unique-app-identifier"})
    server.json("POST", f"/api/v1/app/{app['id']}/endpoint",
                {"url": "https://example.com/webhook/", "uid": "unique-ep-identifier"})
    server.json("POST", f"/api/v1/app/{app['id']}/msg",
                {"eventType": "user.signup", "eventId": "unique-msg-identifier", "payload": {"a": 1}})


def assert_no_server_errors(run, server: Server) -> None:
    errors = run.errors()
    assert not errors, "schemathesis met errors (timeouts, a dead server…):\n" + "\n".join(errors[:20]) + \
        f"\n--- server log ---\n{server.log_tail()}"


def test_document_is_what_the_generator_makes():
    """Resources/openapi.json is generated; editing it by hand (or a stale one) fails here."""
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "gen-openapi.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout


def test_own_document_every_check(server: Server, tmp_path: Path):
    run = run_schemathesis(server.base_url + "/openapi.json", server, server.admin_token, "all", tmp_path, "own",
                           auth_scheme="HTTPBearer")
    failures = run.failures()
    print("own document:", summary(run, failures))
    assert_no_server_errors(run, server)
    bad = unaccepted(failures, OWN_RULES)
    assert not bad, report("Hookbird's /openapi.json does not describe what the server does", bad) + \
        f"\n(full output: {tmp_path}/schemathesis-own.txt)"
    assert run.requests_made() > 500, "schemathesis made too few requests to mean anything"


def test_svix_document_four_checks(server: Server, tmp_path: Path):
    run = run_schemathesis(str(SVIX_SPEC), server, server.admin_token, FOUR_CHECKS, tmp_path, "svix")
    failures = run.failures()
    print("Svix's document:", summary(run, failures))
    # Four operations of Svix's document cannot be generated (their path parameters differ in case from the path
    # template: a defect of that document, not of Hookbird); schemathesis reports them as schema errors.
    errors = [e for e in run.errors() if "Path parameter" not in e and "is not defined" not in e]
    assert not errors, "schemathesis met errors:\n" + "\n".join(errors[:20]) + f"\n{server.log_tail()}"
    bad = unaccepted(failures, SVIX_DEVIATIONS)
    assert not bad, report("Hookbird differs from Svix's spec beyond the accepted deviations", bad)


def other_application(server: Server) -> tuple[dict, list[str]]:
    """An application with an endpoint, a message and an attempt-less delivery; returns it and what no other
    application's token may ever be shown of it."""
    marker = "other-" + uuid.uuid4().hex[:12]
    app = server.json("POST", "/api/v1/app", {"name": marker, "uid": marker, "metadata": {"m": marker}})
    endpoint = server.json("POST", f"/api/v1/app/{app['id']}/endpoint",
                           {"url": f"https://{marker}.example.com/hook", "uid": marker + "-ep",
                            "description": marker})
    secret = server.json("GET", f"/api/v1/app/{app['id']}/endpoint/{endpoint['id']}/secret")["key"]
    message = server.json("POST", f"/api/v1/app/{app['id']}/msg",
                          {"eventType": "user.signup", "eventId": marker + "-msg", "payload": {"m": marker}})
    ids = {"app": app["id"], "endpoint": endpoint["id"], "message": message["id"]}
    return ids, [marker, app["id"], endpoint["id"], message["id"], secret]


def test_app_scoped_token_never_sees_another_application(server: Server, tmp_path: Path):
    mine = server.json("POST", "/api/v1/app", {"name": "mine"})
    server.json("POST", f"/api/v1/app/{mine['id']}/endpoint", {"url": "https://mine.example.com/hook"})
    other, secrets = other_application(server)
    token = server.app_token(mine["id"])

    # 1. Every route, with this token's own application and the other one's endpoint, message and attempt ids.
    document = server.request("GET", "/openapi.json").json()
    values = {"app_id": mine["id"], "endpoint_id": other["endpoint"], "msg_id": other["message"],
              "attempt_id": "atmpt_" + other["message"][4:], "event_type_name": "user.signup",
              "source_id": "src_000000000000000000000000000", "request_id": "inreq_000000000000000000000000000"}
    leaks = []
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1/") or path.endswith("/stream"):
            continue
        for method in item:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            url = re.sub(r"{([^}]+)}", lambda m: values[m.group(1)], path)
            response = server.request(method.upper(), url, token, json={} if method != "get" else None)
            assert response.status_code < 500, f"{method.upper()} {url}: {response.status_code} {response.text}"
            leaks += [f"{method.upper()} {url} -> {response.status_code}: {response.text[:300]}"
                      for s in secrets if s in response.text]
    # 2. schemathesis with the other application's ids in every path.
    parameters = {"path.app_id": other["app"], "path.endpoint_id": other["endpoint"], "path.msg_id": other["message"]}
    run = run_schemathesis(server.base_url + "/openapi.json", server, token, FOUR_CHECKS, tmp_path, "app-scoped",
                           parameters=parameters, auth_scheme="HTTPBearer")
    failures = run.failures()
    print("app-scoped token:", summary(run, failures))
    for request, status, body in run.responses():
        leaks += [f"{request} -> {status}: {body[:300]}" for s in secrets if s in body]
    assert not leaks, "an app-scoped token was shown another application's data:\n" + "\n".join(leaks[:20])
    assert_no_server_errors(run, server)
    bad = unaccepted(failures, [])
    assert not bad, report("with an app-scoped token, answers the document does not describe", bad)
    # The other application is still there, untouched.
    assert server.json("GET", f"/api/v1/app/{other['app']}")["name"] == secrets[0]
