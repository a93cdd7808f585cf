"""GET /metrics (Prometheus text) and GET /openapi.json."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest
import requests

from hookbird_e2e import auth, create_app

TOKEN = "hbadmin_metrics_00000000000000000"

# Prometheus text exposition format 0.0.4, one sample line.
SAMPLE_RE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)'
    r'(?:\{(?P<labels>(?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?'
    r' (?P<value>[-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|\+Inf|-Inf))'
    r'(?: -?[0-9]+)?$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text: str):
    """-> (types {family: type}, samples [(name, {labels}, float)]); asserts well-formedness."""
    types: dict[str, str] = {}
    samples = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                assert parts[3] in ("counter", "gauge", "histogram", "summary", "untyped"), line
                types[parts[2]] = parts[3]
            continue
        m = SAMPLE_RE.match(line)
        assert m, f"/metrics line {n} is not valid Prometheus text: {line!r}"
        labels_src = m.group("labels") or ""
        labels = dict(LABEL_RE.findall(labels_src))
        rebuilt = ",".join(f'{k}="{v}"' for k, v in LABEL_RE.findall(labels_src))
        assert rebuilt == labels_src.rstrip(","), f"/metrics line {n}: bad labels {labels_src!r}"
        samples.append((m.group("name"), labels, float(m.group("value"))))
    return types, samples


@pytest.fixture
def busy_server(hb, workdir):
    p = hb.serve(workdir / "metrics.sqlite", "--admin-token", TOKEN)
    app = create_app(p.base_url, TOKEN, "metrics")                        # POST 201
    for _ in range(3):
        assert requests.get(f"{p.base_url}/api/v1/app", headers=auth(TOKEN),
                            timeout=10).status_code == 200              # GET 200 x3
    assert requests.get(f"{p.base_url}/api/v1/app", timeout=10).status_code == 401
    assert requests.get(f"{p.base_url}/api/v1/app/{app['id']}", headers=auth(TOKEN),
                        timeout=10).status_code == 200
    assert requests.get(f"{p.base_url}/api/v1/app/app_doesNotExist000000000000000",
                        headers=auth(TOKEN), timeout=10).status_code == 404
    requests.get(f"{p.base_url}/no/such/route/12345", timeout=10)
    return p, app


def _route_label(labels: dict) -> str | None:
    for key in ("http_route", "route", "path", "uri"):
        if key in labels:
            return labels[key]
    return None


def _status_label(labels: dict) -> str | None:
    for key in ("http_response_status_code", "status", "status_code", "code"):
        if key in labels:
            return labels[key]
    return None


def test_metrics_is_prometheus_text_with_request_counters_and_histogram(busy_server):
    p, app = busy_server
    r = requests.get(f"{p.base_url}/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers.get("content-type", "").startswith("text/plain"), r.headers
    types, samples = parse_prometheus(r.text)

    # A request counter labelled by route + status (Hummingbird: hb_requests).
    counters = [name for name, t in types.items() if t == "counter"]
    by_key = defaultdict(float)
    counter_name = None
    for name in counters:
        rows = [(lab, v) for n, lab, v in samples if n == name and _route_label(lab)
                and _status_label(lab)]
        if rows and "request" in name and "error" not in name:
            counter_name = name
            for lab, v in rows:
                by_key[(_route_label(lab), lab.get("http_request_method", lab.get("method")),
                        _status_label(lab))] += v
            break
    assert counter_name, f"no request counter labelled by route and status in:\n{r.text[:3000]}"
    assert by_key[("/api/v1/app", "POST", "201")] >= 1, dict(by_key)
    assert by_key[("/api/v1/app", "GET", "200")] >= 3, dict(by_key)
    assert by_key[("/api/v1/app", "GET", "401")] >= 1, dict(by_key)
    # Path parameters are templated, not raw ids (bounded label cardinality).
    routes = {k[0] for k in by_key}
    assert not any(app["id"] in route for route in routes), routes
    assert not any("doesNotExist" in route or "12345" in route for route in routes), routes
    assert any("{" in route or ":" in route for route in routes if route.startswith("/api/v1/app/")), routes

    # A request-duration histogram with buckets, +Inf, _sum and _count per route.
    # (The delivery engine's histograms carry no route; the HTTP one is the one labelled by route.)
    histograms = [name for name, t in types.items() if t == "histogram" and "duration" in name
                  and any(n == f"{name}_bucket" and _route_label(lab) for n, lab, _ in samples)]
    assert histograms, f"no duration histogram labelled by route; types: {types}"
    h = histograms[0]
    buckets = [(lab, v) for n, lab, v in samples if n == f"{h}_bucket"
               and _route_label(lab) == "/api/v1/app" and _status_label(lab) == "200"]
    assert buckets, f"no {h}_bucket for /api/v1/app 200"
    assert any(lab.get("le") == "+Inf" for lab, _ in buckets)
    inf = [v for lab, v in buckets if lab.get("le") == "+Inf"][0]
    ordered = sorted(((float(lab["le"]), v) for lab, v in buckets))
    assert all(a[1] <= b[1] for a, b in zip(ordered, ordered[1:])), f"buckets not cumulative: {ordered}"
    counts = [v for n, lab, v in samples if n == f"{h}_count"
              and _route_label(lab) == "/api/v1/app" and _status_label(lab) == "200"]
    sums = [v for n, lab, v in samples if n == f"{h}_sum"
            and _route_label(lab) == "/api/v1/app" and _status_label(lab) == "200"]
    assert counts and counts[0] == inf >= 3, (counts, inf)
    assert sums and sums[0] > 0


def test_metrics_counters_increase(busy_server):
    p, _ = busy_server

    def post_201_count() -> float:
        _, samples = parse_prometheus(requests.get(f"{p.base_url}/metrics", timeout=10).text)
        return sum(v for n, lab, v in samples if n == "hb_requests"
                   and _route_label(lab) == "/api/v1/app" and _status_label(lab) == "201")

    before = post_201_count()
    create_app(p.base_url, TOKEN, "one more")
    create_app(p.base_url, TOKEN, "and another")
    assert post_201_count() == before + 2


def test_openapi_json_describes_the_implemented_api(busy_server):
    p, app = busy_server
    r = requests.get(f"{p.base_url}/openapi.json", timeout=10)
    assert r.status_code == 200
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    doc = json.loads(r.text)
    assert str(doc.get("openapi", "")).startswith("3."), doc.get("openapi")
    assert doc["info"]["title"] and doc["info"]["version"]
    paths = doc["paths"]

    expected = {
        "/api/v1/app": {"get", "post"},
        "/api/v1/app/{app_id}": {"get", "put", "patch", "delete"},
        "/api/v1/app/{app_id}/msg": {"get", "post"},
        "/api/v1/app/{app_id}/msg/{msg_id}": {"get"},
        "/api/v1/app/{app_id}/endpoint": {"get", "post"},
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}": {"get", "put", "patch", "delete"},
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret": {"get"},
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate": {"post"},
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers": {"get", "put", "patch"},
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats": {"get"},
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover": {"post"},
        "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend": {"post"},
        "/api/v1/event-type": {"get", "post"},
        "/api/v1/event-type/{event_type_name}": {"get", "put", "patch", "delete"},
        "/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}": {"get"},
        "/api/v1/app/{app_id}/attempt/msg/{msg_id}": {"get"},
        "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}": {"get"},
        "/api/v1/health": {"get"},
    }
    problems = []
    for path, methods in expected.items():
        if path not in paths:
            problems.append(f"missing path {path}")
            continue
        have = {m.lower() for m in paths[path]}
        if not methods <= have:
            problems.append(f"{path}: missing methods {sorted(methods - have)}")
    assert not problems, "\n".join(problems)


def test_openapi_json_is_structurally_valid(busy_server):
    """Every $ref resolves, every operation has responses and declares each {param} of its
    path (OpenAPI 3: path parameters are required; code generators reject the document
    otherwise), operationIds are unique."""
    p, _ = busy_server
    doc = requests.get(f"{p.base_url}/openapi.json", timeout=10).json()
    paths = doc["paths"]
    refs = []

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    problems = []
    for ref in refs:
        target = doc
        for part in ref[2:].split("/") if ref.startswith("#/") else [None]:
            if not isinstance(target, dict) or part not in target:
                problems.append(f"unresolvable $ref {ref}")
                break
            target = target[part]
    op_ids = []
    for path, item in paths.items():
        templ = set(re.findall(r"\{([^}]+)\}", path))
        for method, op in item.items():
            if method.lower() not in ("get", "put", "post", "patch", "delete", "head", "options"):
                continue
            if not op.get("responses"):
                problems.append(f"{method.upper()} {path}: no responses")
            params = [doc_resolve(doc, prm) if "$ref" in prm else prm
                      for prm in op.get("parameters", []) + item.get("parameters", [])
                      if isinstance(prm, dict)]
            declared = {prm.get("name") for prm in params if prm.get("in") == "path"}
            if templ - declared:
                problems.append(f"{method.upper()} {path}: path parameter(s) "
                                f"{sorted(templ - declared)} not declared")
            if "operationId" in op:
                op_ids.append(op["operationId"])
    dupes = sorted({o for o in op_ids if op_ids.count(o) > 1})
    if dupes:
        problems.append(f"duplicate operationIds {dupes}")
    assert not problems, "\n".join(problems)


def doc_resolve(doc: dict, node: dict) -> dict:
    target = doc
    for part in node["$ref"][2:].split("/"):
        target = target[part]
    return target


def test_openapi_paths_are_really_routed(busy_server):
    """Each documented GET collection route answers 200 for a real app (not a router 404)."""
    p, app = busy_server
    doc = requests.get(f"{p.base_url}/openapi.json", timeout=10).json()
    for path in ("/api/v1/app", "/api/v1/app/{app_id}", "/api/v1/app/{app_id}/msg",
                 "/api/v1/app/{app_id}/endpoint", "/api/v1/event-type", "/api/v1/health"):
        assert path in doc["paths"]
        url = p.base_url + path.replace("{app_id}", app["id"])
        r = requests.get(url, headers=auth(TOKEN), timeout=10)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:200]}"
