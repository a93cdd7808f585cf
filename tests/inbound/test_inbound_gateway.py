"""The gateway around the schemes: 404/413/403, the IP allowlist and X-Forwarded-For, dedupe, handshakes, raw storage
of refused requests, replay, per-source stats and Prometheus metrics, event-type mapping, form bodies, and the
sources API itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import datetime
from urllib.parse import urlencode

import pytest
import requests

from inbound_harness import BY_NAME, Env, Hookbird, dumps, hmac_hex, now, prometheus_samples
from tests.support import Receiver, unique

STRIPE = BY_NAME["stripe"]
GITHUB = BY_NAME["github"]
SLACK = BY_NAME["slack"]
SHOPIFY = BY_NAME["shopify"]
DISCORD = BY_NAME["discord"]
ZOOM = BY_NAME["zoom"]
SVIX = BY_NAME["svix"]


def post(env: Env, provider, source: dict, keys, event, *, body: bytes | None = None, extra: dict | None = None,
         query: str = "") -> requests.Response:
    url = env.hb.webhook_url(source["uid"], query)
    headers = {**provider.headers(keys, event, url), **(extra or {})}
    return env.hb.post_webhook(source["uid"], event.body if body is None else body, headers, query=query)


def json_error(r: requests.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, f"expected {status}, got {r.status_code} {r.text[:300]}"
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    body = r.json()
    if code:
        assert body.get("code") == code, body
    return body


# --------------------------------------------------------------------------
# 404, 413
# --------------------------------------------------------------------------


def test_unknown_source_is_404(hb: Hookbird) -> None:
    for name in ("src_2a7R9xYzAbCdEfGhIjKlMnOpQrS", "no-such-source"):
        r = hb.post_webhook(name, b'{"id":"evt_1"}', {"Content-Type": "application/json"})
        json_error(r, 404, "not_found")


def test_deleted_source_is_404(env: Env) -> None:
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    env.hb.api("DELETE", f"/source/{source['id']}", 204)
    json_error(post(env, STRIPE, source, [key], STRIPE.event()), 404, "not_found")
    env.hb.api("GET", f"/source/{source['id']}", 404)


def _github_event_of_size(size: int):
    event = GITHUB.event()
    pad = size - len(event.body) - len(',"pad":""')
    assert pad >= 0
    event.payload = {**event.payload, "pad": "x" * pad}
    event.body = dumps(event.payload)
    assert len(event.body) == size
    return event


def test_body_over_max_body_is_413_and_at_the_limit_accepted(env: Env) -> None:
    key = GITHUB.new_key()
    source = env.source(GITHUB, [key], maxBody=400)
    assert source["maxBody"] == 400

    big = _github_event_of_size(401)
    json_error(post(env, GITHUB, source, [key], big), 413, "payload_too_large")

    # Chunked, so no Content-Length to refuse on: still 413 once more than maxBody has arrived.
    url = env.hb.webhook_url(source["uid"])
    headers = GITHUB.headers([key], big, url)

    def chunks():
        for i in range(0, len(big.body), 50):
            yield big.body[i:i + 50]

    r = requests.post(url, data=chunks(), headers=headers, timeout=10)
    json_error(r, 413, "payload_too_large")

    exact = _github_event_of_size(400)
    r = post(env, GITHUB, source, [key], exact)
    assert r.status_code == 200, r.text
    [got] = env.wait_deliveries(1)
    assert got.json == exact.payload


def test_default_max_body_is_1_mib(env: Env) -> None:
    key = GITHUB.new_key()
    source = env.source(GITHUB, [key])
    assert source["maxBody"] == 1 << 20
    json_error(post(env, GITHUB, source, [key], _github_event_of_size((1 << 20) + 1)), 413, "payload_too_large")


# --------------------------------------------------------------------------
# IP allowlist and X-Forwarded-For
# --------------------------------------------------------------------------


def test_ip_allowlist_refuses_outside_and_accepts_inside(env: Env) -> None:
    key = STRIPE.new_key()
    outside = env.source(STRIPE, [key], allowedIps=["10.0.0.0/8"])
    assert outside["allowedIps"] == ["10.0.0.0/8"]
    body = json_error(post(env, STRIPE, outside, [key], STRIPE.event()), 403)
    assert "127.0.0.1" in body.get("detail", ""), body
    [stored] = env.hb.stored_requests(outside["id"])
    assert stored["verdict"] == "refused" and stored["remoteAddress"] == "127.0.0.1", stored
    assert "not allowed" in stored["reason"], stored

    inside = env.source(STRIPE, [key], allowedIps=["192.0.2.0/24", "127.0.0.0/8"])
    assert post(env, STRIPE, inside, [key], STRIPE.event()).status_code == 200
    env.wait_deliveries(1)  # only the allowed one was forwarded
    assert len(env.hb.messages(env.app)) == 1


def test_x_forwarded_for_is_ignored_without_trusted_proxy(env: Env) -> None:
    key = STRIPE.new_key()
    spoof = {"X-Forwarded-For": "10.1.2.3"}
    outside = env.source(STRIPE, [key], allowedIps=["10.0.0.0/8"])
    json_error(post(env, STRIPE, outside, [key], STRIPE.event(), extra=spoof), 403)

    inside = env.source(STRIPE, [key], allowedIps=["127.0.0.0/8"])
    r = post(env, STRIPE, inside, [key], STRIPE.event(), extra=spoof)
    assert r.status_code == 200, r.text
    assert env.hb.stored_request(inside["id"], r.json()["id"])["remoteAddress"] == "127.0.0.1"


def test_x_forwarded_for_is_honoured_behind_trusted_proxy(servers, receiver: Receiver) -> None:
    hb = servers({"--trusted-proxy": "127.0.0.1/32"})
    env = Env(hb, receiver)
    key = STRIPE.new_key()
    ten = env.source(STRIPE, [key], allowedIps=["10.0.0.0/8"])

    r = post(env, STRIPE, ten, [key], STRIPE.event(), extra={"X-Forwarded-For": "10.1.2.3"})
    assert r.status_code == 200, r.text
    assert hb.stored_request(ten["id"], r.json()["id"])["remoteAddress"] == "10.1.2.3"

    # A chain through another trusted proxy: the nearest untrusted hop is the client.
    r = post(env, STRIPE, ten, [key], STRIPE.event(), extra={"X-Forwarded-For": "10.9.9.9, 127.0.0.1"})
    assert r.status_code == 200, r.text
    assert hb.stored_request(ten["id"], r.json()["id"])["remoteAddress"] == "10.9.9.9"

    # A client that prepends a fake allowed address is judged by the address the proxy saw.
    json_error(post(env, STRIPE, ten, [key], STRIPE.event(), extra={"X-Forwarded-For": "10.1.2.3, 192.0.2.7"}), 403)
    # Without the header, the (trusted) peer itself is the client: not in 10/8.
    json_error(post(env, STRIPE, ten, [key], STRIPE.event()), 403)

    loop = env.source(STRIPE, [key], allowedIps=["127.0.0.0/8"])
    json_error(post(env, STRIPE, loop, [key], STRIPE.event(), extra={"X-Forwarded-For": "10.1.2.3"}), 403)
    env.wait_deliveries(2)


# --------------------------------------------------------------------------
# Dedupe
# --------------------------------------------------------------------------


def test_same_stripe_event_id_twice_is_delivered_once(env: Env) -> None:
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    event = STRIPE.event()
    first = post(env, STRIPE, source, [key], event)
    assert first.status_code == 200 and first.json()["status"] == "accepted", first.text
    # Stripe's retry: same event, fresh signature a moment later.
    again = STRIPE.event(ts=now() + 1, event_id=event.event_id)
    second = post(env, STRIPE, source, [key], again)
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "duplicate", second.json()

    env.wait_deliveries(1)
    assert len(env.hb.messages(env.app)) == 1
    [dup] = env.hb.stored_requests(source["id"], verdict="duplicate")
    assert dup["id"] == second.json()["id"] and dup["eventId"] == event.event_id, dup
    [acc] = env.hb.stored_requests(source["id"], verdict="accepted")
    assert acc["id"] == first.json()["id"]
    stats = env.hb.source_stats(source["id"])
    assert (stats["accepted"], stats["duplicate"], stats["refused"]) == (1, 1, 0), stats
    assert len(env.deliveries()) == 1


def test_dedupe_when_the_provider_id_is_not_a_message_event_id(env: Env) -> None:
    """Svix ids start with msg_ (Hookbird's own prefix), so they cannot be the message's eventId: the source's own
    record still drops the repeat."""
    key = SVIX.new_key()
    source = env.source(SVIX, [key])
    event = SVIX.event()
    assert event.event_id.startswith("msg_")
    assert post(env, SVIX, source, [key], event).json()["status"] == "accepted"
    assert post(env, SVIX, source, [key], event).json()["status"] == "duplicate"
    env.wait_deliveries(1)
    assert len(env.hb.messages(env.app)) == 1


def test_a_refused_request_does_not_count_for_dedupe(env: Env) -> None:
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    event = STRIPE.event()
    assert post(env, STRIPE, source, [STRIPE.new_key()], event).status_code == 401
    r = post(env, STRIPE, source, [key], event)
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    env.wait_deliveries(1)


def test_concurrent_repeats_are_forwarded_once(env: Env) -> None:
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    event = STRIPE.event()
    url = env.hb.webhook_url(source["uid"])
    headers = STRIPE.headers([key], event, url)
    results: list[requests.Response] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def fire() -> None:
        barrier.wait()
        r = requests.post(url, data=event.body, headers=headers, timeout=10)
        with lock:
            results.append(r)

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert [r.status_code for r in results] == [200] * 8, [(r.status_code, r.text[:100]) for r in results]
    statuses = sorted(r.json()["status"] for r in results)
    assert statuses == ["accepted"] + ["duplicate"] * 7, statuses
    env.wait_deliveries(1)
    assert len(env.hb.messages(env.app)) == 1
    assert len(env.deliveries()) == 1


# --------------------------------------------------------------------------
# Handshakes
# --------------------------------------------------------------------------


def _slack_signed(secret: str, body: bytes, ts: int | None = None, content_type: str = "application/json") -> dict:
    from slack_sdk.signature import SignatureVerifier

    ts = ts or now()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)}


def _assert_handshake_only(env: Env, source: dict) -> None:
    stored = env.hb.stored_requests(source["id"])
    assert [s["verdict"] for s in stored] == ["handshake"], stored
    assert env.hb.messages(env.app) == []
    assert env.deliveries() == []


def test_slack_url_verification_echoes_the_challenge(env: Env) -> None:
    key = SLACK.new_key()
    source = env.source(SLACK, [key])
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge, "type": "url_verification"})
    r = env.hb.post_webhook(source["uid"], body, _slack_signed(key.secret, body))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"challenge": challenge}
    _assert_handshake_only(env, source)
    # Not signed by the source's secret: refused like anything else.
    r = env.hb.post_webhook(source["uid"], body, _slack_signed(SLACK.new_key().secret, body))
    json_error(r, 401, "invalid_signature")


def test_discord_ping_is_answered_with_type_1(env: Env) -> None:
    key = DISCORD.new_key()
    source = env.source(DISCORD, [key])
    ping = DISCORD.event(payload={"type": 1, "id": "1190000000000000000", "application_id": "1100000000000000000",
                                  "token": "tok", "version": 1})
    r = post(env, DISCORD, source, [key], ping)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"type": 1}
    _assert_handshake_only(env, source)
    # Discord probes with bad signatures and expects 401.
    r = post(env, DISCORD, source, [DISCORD.new_key()], ping)
    json_error(r, 401, "invalid_signature")


def test_zoom_url_validation_answers_plain_and_encrypted_token(env: Env) -> None:
    old, new = ZOOM.new_key(), ZOOM.new_key()
    source = env.source(ZOOM, [old, new])
    plain = "qgg8vlvZRS6UYooatFL8Aw"
    event = ZOOM.event(payload={"payload": {"plainToken": plain}, "event_ts": now() * 1000,
                                "event": "endpoint.url_validation"})
    r = post(env, ZOOM, source, [new], event)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    expected = hmac.new(new.secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
    assert r.json() == {"plainToken": plain, "encryptedToken": expected}
    _assert_handshake_only(env, source)


# --------------------------------------------------------------------------
# Raw storage
# --------------------------------------------------------------------------


def _assert_headers_stored(stored: dict, sent: requests.PreparedRequest) -> None:
    got = [(n.lower(), v) for n, v in stored["headers"]]
    for name, value in sent.headers.items():
        assert (name.lower(), value) in got, f"header {name}: {value!r} not stored; stored: {got}"


def test_refused_request_is_stored_raw(env: Env) -> None:
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    event = STRIPE.event()
    before = time.time()
    r = post(env, STRIPE, source, [STRIPE.new_key()], event, query="attempt=2&note=hello%20world",
             extra={"X-Custom-Trace": "trace-123", "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
    detail = json_error(r, 401, "invalid_signature")["detail"]

    [item] = env.hb.stored_requests(source["id"], verdict="refused")
    stored = env.hb.stored_request(source["id"], item["id"])
    assert stored == item
    assert stored["sourceId"] == source["id"]
    assert stored["method"] == "POST"
    assert stored["path"] == f"/webhook/{source['uid']}"
    assert stored["query"] == "attempt=2&note=hello%20world"
    assert stored["bodyEncoding"] == "utf8" and stored["body"].encode() == event.body
    _assert_headers_stored(stored, r.request)
    assert stored["remoteAddress"] == "127.0.0.1"
    assert stored["verdict"] == "refused" and stored["reason"] == detail
    assert stored.get("msgId") is None
    received = datetime.fromisoformat(stored["receivedAt"].replace("Z", "+00:00")).timestamp()
    assert before - 2 <= received <= time.time() + 2, stored["receivedAt"]
    assert env.hb.stored_requests(source["id"], verdict="accepted") == []


def test_refused_binary_body_is_stored_base64(env: Env) -> None:
    key = GITHUB.new_key()
    source = env.source(GITHUB, [key])
    body = bytes(range(256)) + b"\xff\xfe genuine-ish"
    r = env.hb.post_webhook(source["uid"], body, {"Content-Type": "application/octet-stream",
                                                  "X-Hub-Signature-256": "sha256=" + "00" * 32})
    json_error(r, 401, "invalid_signature")
    [stored] = env.hb.stored_requests(source["id"], verdict="refused")
    assert stored["bodyEncoding"] == "base64"
    assert base64.b64decode(stored["body"]) == body
    _assert_headers_stored(stored, r.request)


def test_stored_requests_filter_by_verdict_and_time(env: Env) -> None:
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    ok = post(env, STRIPE, source, [key], STRIPE.event()).json()["id"]
    t_mid = time.time()
    time.sleep(0.01)  # the since boundary is a timestamp: be strictly after the first request
    bad = post(env, STRIPE, source, [STRIPE.new_key()], STRIPE.event())
    assert bad.status_code == 401
    all_ = env.hb.stored_requests(source["id"])
    assert [s["verdict"] for s in all_] == ["refused", "accepted"], all_  # newest first
    assert [s["id"] for s in env.hb.stored_requests(source["id"], verdict="accepted")] == [ok]
    iso_mid = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_mid)) + f".{int(t_mid % 1 * 1000):03d}Z"
    assert [s["verdict"] for s in env.hb.stored_requests(source["id"], since=iso_mid)] == ["refused"]
    assert [s["verdict"] for s in env.hb.stored_requests(source["id"], until=iso_mid)] == ["accepted"]
    env.hb.api("GET", f"/source/{source['id']}/request", 422, params={"verdict": "bogus"})
    env.wait_deliveries(1)


def test_since_and_until_are_exact_below_the_ids_4_ms(env: Env) -> None:
    # Ids carry their time in 4 ms steps; requests received back to back often share one (a release build answers
    # in 1-3 ms). `since`/`until` are exact times all the same: the later request's time keeps the earlier one out.
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    for _ in range(6):
        first = post(env, STRIPE, source, [key], STRIPE.event()).json()["id"]
        second = post(env, STRIPE, source, [key], STRIPE.event()).json()["id"]
        received = {s["id"]: s["receivedAt"] for s in env.hb.stored_requests(source["id"])}
        since = env.hb.stored_requests(source["id"], since=received[second])
        assert [s["id"] for s in since] == [second], (received[first], received[second], since)
        until = [s["id"] for s in env.hb.stored_requests(source["id"], until=received[first])]
        assert first in until and second not in until, (received[first], received[second], until)


# --------------------------------------------------------------------------
# Replay
# --------------------------------------------------------------------------


def test_replay_forwards_again_with_a_new_webhook_id(env: Env) -> None:
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    event = STRIPE.event()
    ack = post(env, STRIPE, source, [key], event).json()
    [first] = env.wait_deliveries(1)

    r = env.hb.api("POST", f"/source/{source['id']}/request/{ack['id']}/replay", 202)
    replayed = r.json()
    assert replayed["id"].startswith("msg_") and replayed["id"] != ack["msgId"]
    assert replayed["eventType"] == "invoice.paid"
    assert replayed["payload"] == event.payload

    got = env.wait_deliveries(2)
    second = got[1]
    env.verify_forwarded(second)
    assert second.header("webhook-id") == replayed["id"] != first.header("webhook-id")
    assert second.json == first.json == event.payload
    assert len(env.hb.messages(env.app)) == 2


def test_replay_of_refused_or_unknown_request_is_refused(env: Env) -> None:
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    assert post(env, STRIPE, source, [STRIPE.new_key()], STRIPE.event()).status_code == 401
    [refused] = env.hb.stored_requests(source["id"], verdict="refused")
    r = env.hb.api("POST", f"/source/{source['id']}/request/{refused['id']}/replay")
    assert r.status_code == 400, r.text
    r = env.hb.api("POST", f"/source/{source['id']}/request/req_2a7R9xYzAbCdEfGhIjKlMnOpQrS/replay")
    assert r.status_code == 404, r.text
    assert env.hb.messages(env.app) == []


# --------------------------------------------------------------------------
# Stats and metrics
# --------------------------------------------------------------------------


def test_per_source_stats_and_prometheus_metrics(env: Env) -> None:
    key = SLACK.new_key()
    source = env.source(SLACK, [key], allowedIps=["127.0.0.0/8"])
    uid = source["uid"]

    e1, e2 = SLACK.event(), SLACK.event()
    assert post(env, SLACK, source, [key], e1).json()["status"] == "accepted"
    assert post(env, SLACK, source, [key], e2).json()["status"] == "accepted"
    assert post(env, SLACK, source, [key], e1).json()["status"] == "duplicate"
    hs = dumps({"token": "t", "challenge": "abc", "type": "url_verification"})
    assert env.hb.post_webhook(uid, hs, _slack_signed(key.secret, hs)).json() == {"challenge": "abc"}
    for _ in range(2):
        assert post(env, SLACK, source, [SLACK.new_key()], SLACK.event()).status_code == 401
    assert post(env, SLACK, source, [key], SLACK.event(ts=now() - 3600)).status_code == 401
    assert env.hb.post_webhook(uid, e1.body, {"Content-Type": "application/json"}).status_code == 401

    stats = env.hb.source_stats(source["id"])
    assert (stats["accepted"], stats["duplicate"], stats["handshake"], stats["refused"]) == (2, 1, 1, 4), stats
    assert stats["refusedByReason"] == {
        "no signature matches": 2,
        "timestamp outside the tolerance of 300 s": 1,
        "missing X-Slack-Signature header": 1,
    }, stats
    assert env.hb.source_stats(uid) == stats  # by uid too
    env.wait_deliveries(2)

    samples = prometheus_samples(env.hb.metrics(), "hookbird_inbound_requests_total")
    mine = [(labels, v) for labels, v in samples if labels.get("source") == uid]
    assert mine, f"no hookbird_inbound_requests_total sample for source={uid}: {samples[:5]}"
    by_outcome: dict[str, float] = {}
    for labels, value in mine:
        by_outcome[labels["outcome"]] = by_outcome.get(labels["outcome"], 0) + value
    assert by_outcome == {"accepted": 2, "duplicate": 1, "handshake": 1, "refused": 4}, mine
    refused_reasons = {labels.get("reason") for labels, _ in mine if labels["outcome"] == "refused"}
    assert "no signature matches" in refused_reasons and None not in refused_reasons, mine


# --------------------------------------------------------------------------
# Event types and payloads
# --------------------------------------------------------------------------


@pytest.mark.parametrize("topic,expected", [("orders/create", "orders.create"),
                                            ("app/uninstalled", "app.uninstalled"),
                                            ("inventory_levels/update", "inventory_levels.update")])
def test_shopify_topic_becomes_the_event_type(env: Env, topic: str, expected: str) -> None:
    key = SHOPIFY.new_key()
    source = env.source(SHOPIFY, [key])
    event = SHOPIFY.event()
    event.headers["X-Shopify-Topic"] = topic
    ack = post(env, SHOPIFY, source, [key], event).json()
    assert env.hb.message(env.app, ack["msgId"])["eventType"] == expected
    env.wait_deliveries(1)


def test_slack_slash_command_form_becomes_an_object_of_fields(env: Env) -> None:
    key = SLACK.new_key()
    source = env.source(SLACK, [key])
    fields = {"token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": "T0001", "team_domain": "example",
              "channel_id": "C2147483705", "channel_name": "test", "user_id": "U2147483697", "user_name": "Steve",
              "command": "/weather", "text": "94070 & more = fun", "api_app_id": "A123456",
              "response_url": "https://hooks.slack.com/commands/1234/5678", "trigger_id": "13345224609.738474920.8088930838d88f008e0"}
    body = urlencode(fields).encode()
    headers = _slack_signed(key.secret, body, content_type="application/x-www-form-urlencoded")
    r = env.hb.post_webhook(source["uid"], body, headers)
    assert r.status_code == 200, r.text
    ack = r.json()
    assert ack["status"] == "accepted"
    msg = env.hb.message(env.app, ack["msgId"])
    assert msg["payload"] == fields
    assert msg["eventType"] == ".weather"  # '/' is outside the event-type alphabet
    [got] = env.wait_deliveries(1)
    env.verify_forwarded(got)
    assert got.json == fields


# --------------------------------------------------------------------------
# The sources API
# --------------------------------------------------------------------------


def test_source_api_create_get_list_secret(env: Env) -> None:
    key = STRIPE.new_key()
    uid = unique("billing")
    r = env.hb.api("POST", "/source", 201, json={"name": "Billing", "uid": uid, "provider": "stripe",
                                                  "secrets": [key.secret], "appId": env.app})
    created = r.json()
    assert key.secret not in r.text  # never echoed
    assert created["id"].startswith("src_") and created["uid"] == uid and created["name"] == "Billing"
    assert created["provider"] == "stripe" and created["appId"] == env.app
    assert created["ingestUrl"] == f"{env.hb.base_url}/webhook/{uid}"
    assert created["toleranceSeconds"] == 300 and created["allowedIps"] == []
    for ident in (created["id"], uid):
        got = env.hb.api("GET", f"/source/{ident}", 200)
        assert got.json() == created and key.secret not in got.text
    assert env.hb.api("GET", f"/source/{uid}/secret", 200).json() == {"secrets": [key.secret]}
    listed = env.hb.api("GET", "/source", 200, params={"limit": 250}).json()
    assert created["id"] in [s["id"] for s in listed["data"]] and key.secret not in json.dumps(listed)
    # The ingest URL it shows is the one that works.
    assert requests.post(created["ingestUrl"], data=STRIPE.event().body, timeout=10).status_code == 401

    env.hb.api("POST", "/source", 422, json={"name": "x", "provider": "carrier-pigeon", "secrets": ["s"],
                                              "appId": env.app})
    env.hb.api("POST", "/source", 422, json={"name": "x", "provider": "hmac", "secrets": ["s"], "appId": env.app})
    env.hb.api("POST", "/source", 422, json={"name": "x", "provider": "stripe", "secrets": ["s"],
                                              "appId": "app_2a7R9xYzAbCdEfGhIjKlMnOpQrS"})
    env.hb.api("POST", "/source", 409, json={"name": "x", "uid": uid, "provider": "stripe", "secrets": ["s"],
                                              "appId": env.app})
    assert requests.post(f"{env.hb.base_url}/api/v1/source", json={}, timeout=10).status_code == 401  # admin only


def test_hmac_options_nested_under_options(env: Env) -> None:
    provider = BY_NAME["hmac"]
    key = provider.new_key()
    source = env.hb.create_source(env.app, "hmac", [key.secret], options=provider.source_fields())
    assert source["options"] == provider.source_fields()
    event = provider.event()
    r = post(env, provider, source, [key], event)
    assert r.status_code == 200, r.text
    assert env.hb.message(env.app, r.json()["msgId"])["eventType"] == "invoice.settled"
    env.wait_deliveries(1)


def test_rotation_through_patch(env: Env) -> None:
    old, new = GITHUB.new_key(), GITHUB.new_key()
    source = env.source(GITHUB, [old])
    assert post(env, GITHUB, source, [new], GITHUB.event()).status_code == 401
    env.hb.api("PATCH", f"/source/{source['id']}", 200, json={"secrets": [old.secret, new.secret]})
    assert post(env, GITHUB, source, [old], GITHUB.event()).status_code == 200
    assert post(env, GITHUB, source, [new], GITHUB.event()).status_code == 200
    env.hb.api("PATCH", f"/source/{source['uid']}", 200, json={"secrets": [new.secret]})
    assert env.hb.api("GET", f"/source/{source['id']}/secret", 200).json() == {"secrets": [new.secret]}
    assert post(env, GITHUB, source, [old], GITHUB.event()).status_code == 401
    assert post(env, GITHUB, source, [new], GITHUB.event()).status_code == 200
    env.wait_deliveries(3)


def test_per_source_tolerance(env: Env) -> None:
    key = STRIPE.new_key()
    strict = env.source(STRIPE, [key], toleranceSeconds=30)
    default = env.source(STRIPE, [key])
    assert strict["toleranceSeconds"] == 30
    minute_old = STRIPE.event(ts=now() - 60)
    assert post(env, STRIPE, strict, [key], minute_old).status_code == 401
    assert post(env, STRIPE, default, [key], minute_old).status_code == 200
    env.hb.api("PATCH", f"/source/{strict['id']}", 200, json={"toleranceSeconds": 120})
    assert post(env, STRIPE, strict, [key], STRIPE.event(ts=now() - 60)).status_code == 200
    env.wait_deliveries(2)


# --------------------------------------------------------------------------
# Raw bytes on the wire
# --------------------------------------------------------------------------


def test_stored_headers_include_host_and_repeats(env: Env) -> None:
    """The stored request shows every header line as sent, Host included, repeated names kept."""
    from inbound_harness import raw_post

    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    sent = [("Host", f"127.0.0.1:{env.hb.port}"), ("Content-Type", "application/json"),
            ("Stripe-Signature", "t=1,v1=00"), ("X-Trace", "one"), ("X-Trace", "two")]
    status, _ = raw_post(env.hb.port, f"/webhook/{source['uid']}", sent, b'{"id":"evt_x"}')
    assert status == 401
    [stored] = env.hb.stored_requests(source["id"], verdict="refused")
    got = [(n.lower(), v) for n, v in stored["headers"]]
    missing = [(n, v) for n, v in sent if (n.lower(), v) not in got]
    assert not missing, f"stored headers lack {missing}; stored: {stored['headers']}"
    assert [v for n, v in got if n == "x-trace"] == ["one", "two"]


def test_stored_requests_do_not_show_a_token_the_provider_sends(env: Env) -> None:
    """GitLab sends the source's secret itself (X-Gitlab-Token): stored requests, which the API and the dashboard
    show, keep it as [redacted], as they do credentials; the other headers as sent."""
    gitlab = BY_NAME["gitlab"]
    key = gitlab.new_key()
    source = env.source(gitlab, [key])
    r = post(env, gitlab, source, [key], gitlab.event(), extra={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 200, r.text
    wrong = gitlab.new_key()
    assert post(env, gitlab, source, [wrong], gitlab.event()).status_code == 401
    stored = env.hb.stored_requests(source["id"])
    assert sorted(item["verdict"] for item in stored) == ["accepted", "refused"]
    for item in stored:
        headers = {name.lower(): value for name, value in item["headers"]}
        assert headers["x-gitlab-token"] == "[redacted]", item["headers"]
        assert headers["x-gitlab-event"] == "Push Hook"
        assert key.signing not in json.dumps(item) and wrong.signing not in json.dumps(item)
    [accepted] = [item for item in stored if item["verdict"] == "accepted"]
    assert {name.lower(): value for name, value in accepted["headers"]}["authorization"] == "[redacted]"


def test_repeated_x_forwarded_for_lines_behind_trusted_proxy(servers, receiver: Receiver) -> None:
    """A client's own X-Forwarded-For line plus the proxy's appended line: the client is the proxy's address."""
    from inbound_harness import raw_post

    hb = servers({"--trusted-proxy": "127.0.0.1/32"})
    env = Env(hb, receiver)
    key = STRIPE.new_key()
    ten = env.source(STRIPE, [key], allowedIps=["10.0.0.0/8"])
    event = STRIPE.event()
    url = f"http://127.0.0.1:{hb.port}/webhook/{ten['uid']}"
    headers = [("Host", f"127.0.0.1:{hb.port}"), ("Content-Type", "application/json"),
               *STRIPE.sign([key], event, url).items(),
               ("X-Forwarded-For", "10.1.2.3"), ("X-Forwarded-For", "192.0.2.7")]
    status, body = raw_post(hb.port, f"/webhook/{ten['uid']}", headers, event.body)
    assert status == 403, f"spoofed first X-Forwarded-For line was believed: {status} {body[:200]!r}"

    # Twilio behind a TLS-terminating proxy: the signed URL is https://<Host>/…; X-Forwarded-Proto is believed.
    twilio = BY_NAME["twilio"]
    tkey = twilio.new_key()
    tsrc = env.source(twilio, [tkey])
    tev = twilio.event()
    public = f"https://hooks.example.com/webhook/{tsrc['uid']}"
    headers = [("Host", "hooks.example.com"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "192.0.2.7"),
               *{**tev.headers, **twilio.sign([tkey], tev, public)}.items()]
    status, body = raw_post(hb.port, f"/webhook/{tsrc['uid']}", headers, tev.body)
    assert status == 200, body[:300]
    env.wait_deliveries(1)


def test_twilio_signed_for_the_public_url(servers, receiver: Receiver) -> None:
    hb = servers({"--public-url": "https://hooks.example.com"})
    env = Env(hb, receiver)
    twilio = BY_NAME["twilio"]
    key = twilio.new_key()
    source = env.source(twilio, [key])
    assert source["ingestUrl"] == f"https://hooks.example.com/webhook/{source['uid']}"
    event = twilio.event()
    r = hb.post_webhook(source["uid"], event.body, {**event.headers,
                                                    **twilio.sign([key], event, source["ingestUrl"])})
    assert r.status_code == 200, r.text
    # Signed for the local URL instead: not the URL Twilio was given.
    r = hb.post_webhook(source["uid"], event.body, twilio.headers([key], event, hb.webhook_url(source["uid"])))
    assert r.status_code == 401, r.text
    env.wait_deliveries(1)


def test_github_form_encoded_hook_payload_is_the_json(env: Env) -> None:
    key = GITHUB.new_key()
    source = env.source(GITHUB, [key])
    event = GITHUB.event()
    body = urlencode({"payload": event.body.decode()}).encode()
    headers = {**event.headers, "Content-Type": "application/x-www-form-urlencoded",
               "X-Hub-Signature-256": "sha256=" + hmac_hex(key.secret, body)}
    r = env.hb.post_webhook(source["uid"], body, headers)
    assert r.status_code == 200, r.text
    msg = env.hb.message(env.app, r.json()["msgId"])
    assert msg["payload"] == event.payload and msg["eventType"] == "pull_request.opened"
    [got] = env.wait_deliveries(1)
    assert got.json == event.payload


def test_source_of_a_deleted_application_does_not_acknowledge(env: Env) -> None:
    """Deleting the application takes its endpoints (and so every route out); a source still forwarding into it
    would answer 200 "accepted" for events nobody can ever receive or see. The provider must not be told so."""
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    env.hb.api("DELETE", f"/app/{env.app}", 204)
    r = post(env, STRIPE, source, [key], STRIPE.event())
    assert r.status_code >= 400, (
        f"a source whose application was deleted answered {r.status_code} {r.text[:200]} "
        f"(GET /source/{source['id']} -> {env.hb.api('GET', '/source/' + source['id']).status_code})")


def test_stored_requests_paginate(env: Env) -> None:
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    for _ in range(5):
        assert post(env, STRIPE, source, [key], STRIPE.event()).status_code == 200
    everything = [s["id"] for s in env.hb.stored_requests(source["id"])]
    assert len(everything) == 5 and everything == sorted(everything, reverse=True)
    seen, iterator = [], None
    for _ in range(10):
        params = {"limit": 2, **({"iterator": iterator} if iterator else {})}
        page = env.hb.api("GET", f"/source/{source['id']}/request", 200, params=params).json()
        seen += [s["id"] for s in page["data"]]
        if page["done"]:
            break
        iterator = page["iterator"]
    assert seen == everything
    env.wait_deliveries(5)
