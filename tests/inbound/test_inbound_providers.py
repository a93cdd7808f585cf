"""Every provider's scheme, end to end: a genuine request is accepted and forwarded once (re-signed, verifiable with
the svix library against the endpoint's secret); a wrong secret, a stale timestamp, a missing signature header and a
tampered body are refused with 401 and not forwarded; a source with [old, new] secrets accepts both."""

from __future__ import annotations

import json

import pytest

from inbound_harness import PROVIDERS, Env, Provider, now, tamper

ALL = [pytest.param(p, id=p.name) for p in PROVIDERS]
TIMESTAMPED = [pytest.param(p, id=p.name) for p in PROVIDERS if p.has_timestamp]
BODY_SIGNED = [pytest.param(p, id=p.name) for p in PROVIDERS if p.signs_body]

STALE_S = 600  # past every default tolerance (300 s, Linear 60 s)


def send(env: Env, provider: Provider, source: dict, keys, event, body: bytes | None = None,
         drop: tuple[str, ...] = ()):
    url = env.hb.webhook_url(source["uid"])
    headers = provider.headers(keys, event, url)
    for name in drop:
        headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
    return env.hb.post_webhook(source["uid"], event.body if body is None else body, headers), headers


def assert_refused(env: Env, source: dict, r, *, contains: str | None = None) -> str:
    assert r.status_code == 401, f"expected 401, got {r.status_code} {r.text[:300]}"
    body = r.json()
    assert body.get("code") == "invalid_signature", body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    if contains:
        assert contains in body["detail"].lower(), body
    # Refused: stored as such with the same reason, and nothing became a message.
    stored = env.hb.stored_requests(source["id"], verdict="refused")
    assert stored and stored[0]["reason"] == body["detail"], stored[:1]
    assert env.hb.messages(env.app) == []
    return body["detail"]


def assert_accepted(r) -> dict:
    assert r.status_code == 200, f"expected 200, got {r.status_code} {r.text[:300]}"
    body = r.json()
    assert body.get("status") == "accepted", body
    assert body["id"].startswith("req_") and body["msgId"].startswith("msg_"), body
    return body


@pytest.mark.parametrize("provider", ALL)
def test_genuine_request_is_accepted_and_forwarded_once(env: Env, provider: Provider) -> None:
    key = provider.new_key()
    source = env.source(provider, [key])
    event = provider.event()
    r, headers = send(env, provider, source, [key], event)
    provider.library_check(key, event, headers)  # the provider's own library accepts what we sent
    ack = assert_accepted(r)

    # Forwarded once, re-signed with the endpoint's secret, with the provider's body as the payload.
    [got] = env.wait_deliveries(1)
    env.verify_forwarded(got)
    assert got.header("webhook-id") == ack["msgId"]
    assert got.json == event.payload

    msg = env.hb.message(env.app, ack["msgId"])
    assert msg["eventType"] == event.event_type
    assert msg.get("eventId") == provider.message_event_id(event.event_id)
    assert msg["payload"] == event.payload

    stored = env.hb.stored_request(source["id"], ack["id"])
    assert stored["verdict"] == "accepted" and stored.get("reason") is None, stored
    assert stored.get("eventId") == event.event_id
    assert stored["msgId"] == ack["msgId"]

    # Exactly once: the endpoint has settled with one attempt and the receiver saw one request.
    assert len(env.hb.attempts_for_msg(env.app, ack["msgId"])) == 1
    assert len(env.deliveries()) == 1
    assert [m["id"] for m in env.hb.messages(env.app)] == [ack["msgId"]]


@pytest.mark.parametrize("provider", ALL)
def test_wrong_secret_is_refused(env: Env, provider: Provider) -> None:
    source = env.source(provider, [provider.new_key()])
    r, _ = send(env, provider, source, [provider.new_key()], provider.event())
    assert_refused(env, source, r)


@pytest.mark.parametrize("provider", TIMESTAMPED)
def test_stale_timestamp_is_refused(env: Env, provider: Provider) -> None:
    """Correctly signed, but STALE_S in the past (and, separately, in the future)."""
    key = provider.new_key()
    source = env.source(provider, [key])
    r, _ = send(env, provider, source, [key], provider.event(ts=now() - STALE_S))
    assert_refused(env, source, r, contains="tolerance")
    r, _ = send(env, provider, source, [key], provider.event(ts=now() + STALE_S))
    assert_refused(env, source, r, contains="tolerance")


@pytest.mark.parametrize("provider", ALL)
def test_missing_signature_header_is_refused(env: Env, provider: Provider) -> None:
    key = provider.new_key()
    source = env.source(provider, [key])
    r, _ = send(env, provider, source, [key], provider.event(), drop=provider.signature_headers)
    assert_refused(env, source, r, contains="missing")


@pytest.mark.parametrize("provider", BODY_SIGNED)
def test_tampered_body_is_refused(env: Env, provider: Provider) -> None:
    key = provider.new_key()
    source = env.source(provider, [key])
    event = provider.event()
    r, _ = send(env, provider, source, [key], event, body=tamper(event.body))
    assert_refused(env, source, r)


@pytest.mark.parametrize("provider", ALL)
def test_rotation_old_and_new_secrets_both_accepted(env: Env, provider: Provider) -> None:
    old, new = provider.new_key(), provider.new_key()
    source = env.source(provider, [old, new])
    acks = []
    for key in (old, new):
        r, _ = send(env, provider, source, [key], provider.event())
        acks.append(assert_accepted(r)["msgId"])
    got = env.wait_deliveries(2)
    assert sorted(g.header("webhook-id") for g in got) == sorted(acks)
    for g in got:
        env.verify_forwarded(g)
    # A third secret is still refused.
    r, _ = send(env, provider, source, [provider.new_key()], provider.event())
    assert r.status_code == 401, r.text


def test_stripe_rolling_header_with_two_v1_signatures(env: Env) -> None:
    """While a Stripe secret is rolled, one header carries a v1 per secret: a source that knows only one of them
    accepts it, and so does Stripe's own library."""
    import stripe

    from inbound_harness import BY_NAME

    provider = BY_NAME["stripe"]
    old, new = provider.new_key(), provider.new_key()
    source = env.source(provider, [new])
    event = provider.event()
    r, headers = send(env, provider, source, [old, new], event)
    assert headers["Stripe-Signature"].count("v1=") == 2
    stripe.Webhook.construct_event(event.body, headers["Stripe-Signature"], new.signing)
    assert_accepted(r)
    env.wait_deliveries(1)


def test_twilio_json_body_signed_through_body_sha256(env: Env) -> None:
    """Twilio's JSON callbacks: the URL carries bodySHA256 and only the URL is signed."""
    import hashlib

    from inbound_harness import Twilio

    key = Twilio().new_key()
    source = env.source(Twilio(), [key])
    payload = {"sid": "EV" + "1" * 32, "type": "com.twilio.messaging.message.delivered", "note": "genuine"}
    body = json.dumps(payload).encode()
    query = "bodySHA256=" + hashlib.sha256(body).hexdigest()
    url = env.hb.webhook_url(source["uid"], query)
    sig = Twilio.signature(key.signing, url, {})
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": sig,
               "I-Twilio-Idempotency-Token": "idem-" + "2" * 16}
    r = env.hb.post_webhook(source["uid"], body, headers, query=query)
    ack = assert_accepted(r)
    [got] = env.wait_deliveries(1)
    assert got.json == payload
    assert env.hb.stored_request(source["id"], ack["id"])["eventId"] == "idem-" + "2" * 16
    # The same signed URL with another body: the body no longer matches bodySHA256.
    r = env.hb.post_webhook(source["uid"], tamper(body), headers, query=query)
    assert r.status_code == 401, r.text
