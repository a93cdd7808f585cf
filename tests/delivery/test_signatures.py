"""Signed deliveries as a receiver sees them: Standard Webhooks and svix verifiers, rotation, ed25519, svix-* headers."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime

import pytest
import standardwebhooks
import svix.webhooks
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat, NoEncryption

from tests.support import Hookbird, Receiver


def verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        standardwebhooks.Webhook(secret).verify(body, headers)
        return True
    except standardwebhooks.webhooks.WebhookVerificationError:
        return False


def test_delivery_is_signed_and_carries_message_and_custom_headers(hookbird: Hookbird, receiver: Receiver) -> None:
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/signed"))
    hookbird.api("PUT", f"/app/{app}/endpoint/{ep['id']}/headers", 204,
                 json={"headers": {"X-Custom-One": "alpha", "X-Tenant": "t-42"}})
    secret = hookbird.secret(app, ep["id"])
    assert secret.startswith("whsec_")

    payload = {"zeta": [1, 2, {"b": True, "a": None}], "alpha": "ünïcødé ✓", "n": 12.5}
    msg = hookbird.send(app, "user.signup", payload)

    got = receiver.wait_for("/signed", 1)[0]
    assert got.method == "POST"
    # Both verifiers accept the real delivery, and return the payload.
    assert standardwebhooks.Webhook(secret).verify(got.body, got.headers) == payload
    svix.webhooks.Webhook(secret).verify(got.body, got.headers)  # raises on failure

    assert got.header("webhook-id") == msg["id"]
    assert abs(int(got.header("webhook-timestamp")) - time.time()) < 60
    assert got.header("webhook-signature").startswith("v1,")
    assert len(got.header("webhook-signature").split(" ")) == 1
    # The body is the payload as compact JSON with sorted keys.
    assert json.loads(got.body) == payload
    assert got.body == json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    assert got.header("content-type") == "application/json"
    assert got.header("user-agent") == "Hookbird/0.1.0"
    assert got.header("x-custom-one") == "alpha"
    assert got.header("x-tenant") == "t-42"
    # Custom header names keep their case on the wire.
    assert "X-Custom-One" in [name for name, _ in got.raw_headers]

    # The timestamp header is the attempt's start, as the API records it.
    attempt = hookbird.wait_attempts(app, msg["id"], 1)[0]
    started = datetime.fromisoformat(attempt["timestamp"].replace("Z", "+00:00")).timestamp()
    assert int(started) == int(got.header("webhook-timestamp")), (attempt["timestamp"], got.header("webhook-timestamp"))

    # A tampered body or a wrong secret does not verify.
    assert not verifies(secret, got.body + b" ", got.headers)
    assert not verifies("whsec_" + base64.b64encode(b"x" * 24).decode(), got.body, got.headers)


def test_rotation_with_grace_signs_with_both_keys_then_without_grace_only_new(
    hookbird: Hookbird, receiver: Receiver
) -> None:
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/rot"))["id"]
    old = hookbird.secret(app, ep)

    hookbird.send(app)
    first = receiver.wait_for("/rot", 1)[0]
    assert verifies(old, first.body, first.headers)

    # Default grace (24 h): the next delivery is signed with the new key and the old one.
    r = hookbird.api("POST", f"/app/{app}/endpoint/{ep}/secret/rotate", (200, 204), json={})
    new = hookbird.secret(app, ep)
    assert new != old and new.startswith("whsec_")
    if r.status_code == 200:
        assert r.json()["key"] == new

    msg2 = hookbird.send(app)
    second = receiver.wait_for("/rot", 2)[1]
    assert second.header("webhook-id") == msg2["id"]
    sigs = second.header("webhook-signature").split(" ")
    assert len(sigs) == 2 and all(s.startswith("v1,") for s in sigs), sigs
    assert verifies(old, second.body, second.headers)
    assert verifies(new, second.body, second.headers)

    # Rotation with gracePeriodSeconds 0: only the newest key signs; neither earlier key verifies.
    hookbird.api("POST", f"/app/{app}/endpoint/{ep}/secret/rotate", (200, 204), json={"gracePeriodSeconds": 0})
    newest = hookbird.secret(app, ep)
    assert newest not in (old, new)
    hookbird.send(app)
    third = receiver.wait_for("/rot", 3)[2]
    sigs = third.header("webhook-signature").split(" ")
    # `old` was still within its 24 h grace, so it may legitimately still sign; `new` must not.
    assert verifies(newest, third.body, third.headers)
    assert not verifies(new, third.body, third.headers), sigs
    assert len(sigs) == 2, f"expected the newest key plus the first key still in its 24 h grace, got {sigs}"
    assert verifies(old, third.body, third.headers)


def test_rotation_with_zero_grace_on_fresh_endpoint(hookbird: Hookbird, receiver: Receiver) -> None:
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/rot0"))["id"]
    old = hookbird.secret(app, ep)
    hookbird.api("POST", f"/app/{app}/endpoint/{ep}/secret/rotate", (200, 204), json={"gracePeriodSeconds": 0})
    new = hookbird.secret(app, ep)
    hookbird.send(app)
    got = receiver.wait_for("/rot0", 1)[0]
    assert got.header("webhook-signature").count("v1,") == 1
    assert verifies(new, got.body, got.headers)
    assert not verifies(old, got.body, got.headers)


def test_ed25519_secret_signs_v1a_verifiable_with_public_key(hookbird: Hookbird, receiver: Receiver) -> None:
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public_raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    whsk = "whsk_" + base64.b64encode(raw).decode()

    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/ed"), secret=whsk)["id"]
    # The API hands out the public key, never the private one.
    shown = hookbird.secret(app, ep)
    assert shown == "whpk_" + base64.b64encode(public_raw).decode()

    msg = hookbird.send(app, payload={"signed": "ed25519"})
    got = receiver.wait_for("/ed", 1)[0]
    assert got.header("webhook-id") == msg["id"]
    sigs = got.header("webhook-signature").split(" ")
    assert len(sigs) == 1 and sigs[0].startswith("v1a,"), sigs
    signature = base64.b64decode(sigs[0].split(",", 1)[1])
    signed = f"{got.header('webhook-id')}.{got.header('webhook-timestamp')}.".encode() + got.body
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(shown.removeprefix("whpk_")))
    public.verify(signature, signed)  # raises InvalidSignature on failure
    assert json.loads(got.body) == {"signed": "ed25519"}


def test_svix_signature_headers(servers, receiver: Receiver) -> None:
    server = servers({"--signature-headers": "svix"})
    app = server.create_app()
    ep = server.create_endpoint(app, receiver.url("/svix"))["id"]
    secret = server.secret(app, ep)
    msg = server.send(app, payload={"hello": "svix"})
    got = receiver.wait_for("/svix", 1)[0]
    assert got.header("svix-id") == msg["id"]
    assert got.header("svix-timestamp") and got.header("svix-signature", ).startswith("v1,")
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert got.header(name) is None, f"{name} sent alongside svix-*"
    svix.webhooks.Webhook(secret).verify(got.body, got.headers)
    # Headers given only as svix-* do not satisfy the Standard Webhooks verifier.
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secret).verify(got.body, got.headers)


def test_headers_given_at_creation_are_sent(hookbird: Hookbird, receiver: Receiver) -> None:
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/hdr"), headers={"X-Initial": "yes", "Authorization": "Bearer t"})
    listed = hookbird.api("GET", f"/app/{app}/endpoint/{ep['id']}/headers", 200).json()
    assert listed["headers"].get("X-Initial") == "yes" and "Authorization" in listed["sensitive"], listed
    hookbird.send(app)
    got = receiver.wait_for("/hdr", 1)[0]
    assert got.header("x-initial") == "yes"
    assert got.header("authorization") == "Bearer t"


def test_raw_payload_is_sent_verbatim_and_signed(hookbird: Hookbird, receiver: Receiver) -> None:
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/raw"))["id"]
    secret = hookbird.secret(app, ep)
    hookbird.api("POST", f"/app/{app}/msg", 202, json={
        "eventType": "raw.event", "payload": {},
        "transformationsParams": {"rawPayload": "<note id=\"1\">héllo</note>"},
    })
    got = receiver.wait_for("/raw", 1)[0]
    assert got.body == "<note id=\"1\">héllo</note>".encode()
    standardwebhooks.Webhook(secret).verify(got.body, got.headers, json_parse=False)
