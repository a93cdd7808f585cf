"""Wire-level checks with plain `requests`: the things the SDK hides.

Expected behaviour: shared/reference/svix-api-subset.md §0 (cross-cutting rules).
"""

from __future__ import annotations

import json

import requests

MIB = 1024 * 1024


def assert_error_body(r: requests.Response, code: str | None = None) -> dict:
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body.get("code"), str) and body["code"]
    assert isinstance(body.get("detail"), str) and body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


def create_app(http: requests.Session, base_url: str, uid: str) -> dict:
    r = http.post(f"{base_url}/api/v1/app", json={"name": "Wire test", "uid": uid})
    assert r.status_code == 201, r.text
    return r.json()


def test_health_answers_without_auth(base_url: str):
    r = requests.get(f"{base_url}/api/v1/health", timeout=10)
    assert r.status_code == 200


def test_missing_token_is_401_json(base_url: str):
    r = requests.get(f"{base_url}/api/v1/app", timeout=10)
    assert r.status_code == 401
    assert_error_body(r)


def test_create_application_is_201(http: requests.Session, base_url: str, unique):
    uid = unique("wire")
    app = create_app(http, base_url, uid)
    assert app["uid"] == uid
    assert app["metadata"] == {}

    again = http.post(f"{base_url}/api/v1/app", params={"get_if_exists": "true"},
                      json={"name": "Wire test", "uid": uid})
    assert again.status_code == 200
    assert again.json()["id"] == app["id"]


def test_idempotency_key_replays_the_first_response(http: requests.Session, base_url: str, unique):
    body = {"name": "Idempotent", "uid": unique("idem")}
    headers = {"Idempotency-Key": unique("key")}

    first = http.post(f"{base_url}/api/v1/app", json=body, headers=headers)
    second = http.post(f"{base_url}/api/v1/app", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert second.status_code == first.status_code
    assert second.content == first.content

    # A different key really executes again, and hits the uid conflict.
    third = http.post(f"{base_url}/api/v1/app", json=body, headers={"Idempotency-Key": unique("key")})
    assert third.status_code == 409
    assert_error_body(third)


def test_message_create_is_202(http: requests.Session, base_url: str, unique):
    app = create_app(http, base_url, unique("wire-msg"))
    r = http.post(
        f"{base_url}/api/v1/app/{app['id']}/msg",
        json={"eventType": "invoice.paid", "eventId": unique("evt"), "payload": {"a": 1}},
    )
    assert r.status_code == 202, r.text
    msg = r.json()
    assert msg["id"].startswith("msg_")
    assert msg["payload"] == {"a": 1}  # no with_content param: OSS default is true


def test_malformed_json_is_422_with_detail_list(http: requests.Session, base_url: str):
    r = http.post(
        f"{base_url}/api/v1/app",
        data=b'{"name": "broken", ',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail
    for item in detail:
        assert isinstance(item["loc"], list) and item["loc"][0] == "body"
        assert isinstance(item["msg"], str) and item["msg"]
        assert isinstance(item["type"], str) and item["type"]


def test_missing_required_field_is_422(http: requests.Session, base_url: str):
    r = http.post(f"{base_url}/api/v1/app", json={"uid": "no-name"})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail


def test_large_but_allowed_payload_is_accepted(http: requests.Session, base_url: str, unique):
    app = create_app(http, base_url, unique("wire-big"))
    payload = {"blob": "x" * (900 * 1024)}
    r = http.post(f"{base_url}/api/v1/app/{app['id']}/msg",
                  json={"eventType": "blob.sent", "payload": payload})
    assert r.status_code == 202, r.text[:500]


def test_body_over_one_mib_is_413(http: requests.Session, base_url: str, unique):
    app = create_app(http, base_url, unique("wire-huge"))
    body = json.dumps({"eventType": "blob.sent", "payload": {"blob": "x" * (MIB + MIB // 2)}})
    assert len(body) > MIB
    r = http.post(
        f"{base_url}/api/v1/app/{app['id']}/msg",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413, r.text[:500]
    assert_error_body(r, code="payload_too_large")

    # The server is still fine afterwards.
    assert requests.get(f"{base_url}/api/v1/health", timeout=10).status_code == 200


def test_unknown_route_is_404_json(http: requests.Session, base_url: str):
    r = http.get(f"{base_url}/api/v1/no-such-route")
    assert r.status_code == 404
    assert_error_body(r, code="not_found")

    r = http.get(f"{base_url}/definitely/not/here")
    assert r.status_code == 404
    assert_error_body(r)


def test_unknown_app_is_404_json(http: requests.Session, base_url: str):
    r = http.get(f"{base_url}/api/v1/app/app_2ZZZZZZZZZZZZZZZZZZZZZZZZZZ")
    assert r.status_code == 404
    assert_error_body(r, code="not_found")
