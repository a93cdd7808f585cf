"""Helpers for the end-to-end inbound-gateway suite (tests/inbound).

Real `hookbird serve` processes (free loopback port, throw-away SQLite database, random admin token) receive
provider-signed requests on `POST /webhook/{source}` and forward the accepted ones, re-signed Standard Webhooks style,
to a recording HTTP receiver on another loopback port (`Receiver`). The process wrapper and the receiver are the shared
ones (tests/support); `Hookbird` here adds this suite's flags and the inbound half of the API.

Every provider's scheme is a `Provider` subclass that makes a realistic event and signs it exactly as the provider
does: with the provider's own Python library where one exists (stripe, slack_sdk, standardwebhooks, svix), else
with hmac/hashlib/base64 per shared/reference/signature-schemes.md, and with `cryptography`'s ed25519 for Discord.

Every wait is a poll with a deadline, never a blind sleep.

Environment:
  HOOKBIRD_BIN   path to the server binary (default: .build/debug/hookbird, relative to the repository root).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import re
import secrets
import socket
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from tests.support import FAST_FLAGS as SHARED_FAST_FLAGS
from tests.support import Hookbird as BaseHookbird
from tests.support import Received, Receiver, unique, wait_until

DELIVERY_TIMEOUT_S = 15.0

# Every server of this suite: loopback receivers allowed, a short retry schedule and request timeout (the shared
# fast flags with a 2 s request timeout and the default overload delay).
FAST_FLAGS: dict[str, str | None] = {**SHARED_FAST_FLAGS, "--request-timeout": "2s", "--overload-delay": None}


# --------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------


def now() -> int:
    return int(time.time())


def whsec() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def hmac_hex(key: str | bytes, content: bytes, digest: Any = hashlib.sha256) -> str:
    return hmac.new(key.encode() if isinstance(key, str) else key, content, digest).hexdigest()


def hmac_b64(key: str | bytes, content: bytes, digest: Any = hashlib.sha256) -> str:
    mac = hmac.new(key.encode() if isinstance(key, str) else key, content, digest).digest()
    return base64.b64encode(mac).decode()


def dumps(value: Any) -> bytes:
    """JSON as a provider sends it (compact, key order kept)."""
    return json.dumps(value, separators=(",", ":")).encode()


TAMPER_FROM = b"genuine"
TAMPER_TO = b"forged!"


def tamper(body: bytes) -> bytes:
    """The same body with one field changed (every event body here carries the word 'genuine' once)."""
    assert body.count(TAMPER_FROM) == 1, body
    return body.replace(TAMPER_FROM, TAMPER_TO)


# --------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------


class Hookbird(BaseHookbird):
    """tests/support's `hookbird serve` with this suite's flags, plus the inbound half of the API."""

    def __init__(self, workdir: Path, flags: dict[str, str | None] | None = None, **kwargs: Any) -> None:
        super().__init__(workdir, flags, base_flags=FAST_FLAGS, **kwargs)

    def create_app(self, name: str = "inbound") -> str:
        return super().create_app(name)

    def endpoint_secret(self, app: str, ep: str) -> str:
        return self.secret(app, ep)

    def create_source(self, app: str, provider: str, secrets_: list[str], **fields: Any) -> dict:
        body = {"name": unique(provider), "uid": unique(f"src-{provider}"), "provider": provider,
                "secrets": secrets_, "appId": app, **fields}
        return self.api("POST", "/source", 201, json=body).json()

    def stored_request(self, source: str, req: str) -> dict:
        return self.api("GET", f"/source/{source}/request/{req}", 200).json()

    def stored_requests(self, source: str, **params: Any) -> list[dict]:
        params.setdefault("limit", 250)
        return self.api("GET", f"/source/{source}/request", 200, params=params).json()["data"]

    def source_stats(self, source: str) -> dict:
        return self.api("GET", f"/source/{source}/stats", 200).json()

    def message(self, app: str, msg: str) -> dict:
        return self.api("GET", f"/app/{app}/msg/{msg}", 200).json()

    def messages(self, app: str) -> list[dict]:
        return self.api("GET", f"/app/{app}/msg", 200, params={"limit": 250}).json()["data"]

    # -- ingest --------------------------------------------------------------

    def webhook_url(self, source: str, query: str = "") -> str:
        return f"{self.base_url}/webhook/{source}" + (f"?{query}" if query else "")

    def post_webhook(self, source: str, body: bytes | Any, headers: dict[str, str] | None = None, *,
                     query: str = "", timeout: float = 10) -> requests.Response:
        """POST /webhook/{source} with no Authorization header (the providers have none)."""
        return requests.post(self.webhook_url(source, query), data=body, headers=headers or {}, timeout=timeout)


def raw_post(port: int, path: str, headers: list[tuple[str, str]], body: bytes,
             host: str = "127.0.0.1") -> tuple[int, bytes]:
    """One HTTP/1.1 request written by hand (exact header lines, repeats allowed): (status, response body)."""
    lines = [f"POST {path} HTTP/1.1"] + [f"{n}: {v}" for n, v in headers]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        out = b""
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out += rest[:size]
            rest = rest[size + 2:]
        rest = out
    return status, rest


def prometheus_samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one metric: (labels, value)."""
    out = []
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)', line)
        if not m or m.group(1) != name:
            continue
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out.append((labels, float(m.group(3))))
    return out


# --------------------------------------------------------------------------
# One test's world: an app whose endpoint is the receiver, and its sources
# --------------------------------------------------------------------------


class Env:
    """An application with one endpoint at a unique path of the shared receiver."""

    def __init__(self, hb: Hookbird, receiver: Receiver) -> None:
        self.hb = hb
        self.receiver = receiver
        self.app = hb.create_app()
        self.path = "/" + uuid.uuid4().hex
        self.endpoint = hb.create_endpoint(self.app, receiver.url(self.path))["id"]
        self.endpoint_secret = hb.endpoint_secret(self.app, self.endpoint)

    def source(self, provider: "Provider", keys: list["Key"], **fields: Any) -> dict:
        merged = {**provider.source_fields(), **fields}
        return self.hb.create_source(self.app, provider.name, [k.secret for k in keys], **merged)

    def deliveries(self) -> list[Received]:
        return self.receiver.received(self.path)

    def wait_deliveries(self, count: int) -> list[Received]:
        self.receiver.wait_for(self.path, count)
        wait_until(lambda: self.hb.settled(self.app, self.endpoint), DELIVERY_TIMEOUT_S,
                   message="endpoint deliveries settled")
        return self.deliveries()

    def verify_forwarded(self, received: Received) -> None:
        """The forwarded request verifies with the official svix library against the endpoint's secret."""
        from svix.webhooks import Webhook

        Webhook(self.endpoint_secret).verify(received.body, received.headers)


# --------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Key:
    """`secret` is what the source stores; `signing` what the provider signs with (the same, except Discord's
    ed25519 key pair: the source stores the public key, the provider signs with the private one)."""

    secret: str
    signing: Any = None

    def __post_init__(self) -> None:
        if self.signing is None:
            self.signing = self.secret


@dataclasses.dataclass
class Event:
    body: bytes
    ts: int  # the Unix seconds the signature (or body) carries
    headers: dict[str, str]  # unsigned headers that come with it (content type, event name, delivery id)
    event_type: str  # the message event type Hookbird should give it
    event_id: str | None  # the provider's event id (stored on the request, used for dedupe)
    payload: Any  # the message payload Hookbird should forward


class Provider:
    name = ""
    has_timestamp = True
    signs_body = True  # False: a shared token, the body is not covered
    signature_headers: tuple[str, ...] = ()  # removed in the missing-header test

    def new_key(self) -> Key:
        return Key("sk_" + secrets.token_urlsafe(24))

    def source_fields(self) -> dict:
        return {}

    def event(self, ts: int | None = None) -> Event:
        raise NotImplementedError

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        """The signature headers for the event, with every key in `keys` (one signature per key where the scheme
        allows several; schemes with one signature take the first key)."""
        raise NotImplementedError

    def headers(self, keys: list[Key], event: Event, url: str, body: bytes | None = None) -> dict[str, str]:
        """All headers of a request: the event's own plus the signature over `event` (the body actually sent may
        differ: tampering)."""
        return {**event.headers, **self.sign(keys, event, url)}

    def library_check(self, key: Key, event: Event, headers: dict[str, str]) -> None:
        """With the provider's own library, where it has a verifier: it accepts what the test sends."""

    @staticmethod
    def message_event_id(event_id: str | None) -> str | None:
        """The message's eventId: the provider's id when it is a valid Svix event id (not msg_-prefixed)."""
        if event_id is None or event_id.startswith("msg_") or not re.fullmatch(r"[a-zA-Z0-9\-_.]{1,256}", event_id):
            return None
        return event_id


def _json_event(payload: Any, ts: int, headers: dict[str, str], event_type: str, event_id: str | None) -> Event:
    return Event(dumps(payload), ts, {"Content-Type": "application/json", **headers}, event_type, event_id, payload)


class Stripe(Provider):
    name = "stripe"
    signature_headers = ("Stripe-Signature",)

    def new_key(self) -> Key:
        return Key("whsec_" + secrets.token_hex(16))

    def event(self, ts: int | None = None, event_id: str | None = None) -> Event:
        ts = ts or now()
        eid = event_id or "evt_" + secrets.token_hex(12)
        payload = {"id": eid, "object": "event", "api_version": "2024-06-20", "created": ts, "livemode": False,
                   "type": "invoice.paid", "pending_webhooks": 1,
                   "data": {"object": {"id": "in_" + secrets.token_hex(8), "object": "invoice",
                                       "amount_paid": 2000, "currency": "usd", "description": "genuine"}}}
        return _json_event(payload, ts, {"User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"},
                           "invoice.paid", eid)

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        import stripe

        text = event.body.decode()
        parts = [stripe.WebhookSignature.generate_signature_header(text, k.signing, timestamp=event.ts) for k in keys]
        # "t=…,v1=…" per key; while a secret is rolled Stripe sends one t and several v1.
        header = parts[0] + "".join("," + p.split(",", 1)[1] for p in parts[1:])
        return {"Stripe-Signature": header}

    def library_check(self, key: Key, event: Event, headers: dict[str, str]) -> None:
        import stripe

        evt = stripe.Webhook.construct_event(event.body, headers["Stripe-Signature"], key.signing, tolerance=300)
        assert evt["id"] == event.event_id


class GitHub(Provider):
    name = "github"
    has_timestamp = False
    signature_headers = ("X-Hub-Signature-256",)

    def event(self, ts: int | None = None) -> Event:
        delivery = str(uuid.uuid4())
        payload = {"action": "opened", "number": 7,
                   "pull_request": {"id": 1, "number": 7, "title": "genuine", "state": "open"},
                   "repository": {"id": 42, "full_name": "acme/hookbird"}, "sender": {"login": "octocat"}}
        return _json_event(payload, ts or now(), {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": delivery,
                                                  "X-GitHub-Hook-ID": "1234", "User-Agent": "GitHub-Hookshot/abc"},
                           "pull_request.opened", delivery)

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        return {"X-Hub-Signature-256": "sha256=" + hmac_hex(keys[0].signing, event.body)}


class Slack(Provider):
    name = "slack"
    signature_headers = ("X-Slack-Signature",)

    def new_key(self) -> Key:
        return Key(secrets.token_hex(16))

    def event(self, ts: int | None = None) -> Event:
        ts = ts or now()
        eid = "Ev" + secrets.token_hex(5).upper()
        payload = {"token": "verif", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
                   "event_id": eid, "event_time": ts,
                   "event": {"type": "app_mention", "user": "U0001", "text": "genuine", "channel": "C0001",
                             "ts": f"{ts}.000100"}}
        return _json_event(payload, ts, {}, "app_mention", eid)

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        from slack_sdk.signature import SignatureVerifier

        sig = SignatureVerifier(keys[0].signing).generate_signature(timestamp=str(event.ts), body=event.body)
        return {"X-Slack-Request-Timestamp": str(event.ts), "X-Slack-Signature": sig}

    def library_check(self, key: Key, event: Event, headers: dict[str, str]) -> None:
        from slack_sdk.signature import SignatureVerifier

        assert SignatureVerifier(key.signing).is_valid(body=event.body, timestamp=headers["X-Slack-Request-Timestamp"],
                                                       signature=headers["X-Slack-Signature"])


class Shopify(Provider):
    name = "shopify"
    has_timestamp = False
    signature_headers = ("X-Shopify-Hmac-Sha256",)

    def event(self, ts: int | None = None) -> Event:
        wid = str(uuid.uuid4())
        payload = {"id": secrets.randbelow(10**12), "email": "jon@example.com", "total_price": "10.00",
                   "currency": "USD", "note": "genuine", "line_items": [{"id": 1, "quantity": 1}]}
        return _json_event(payload, ts or now(), {"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": wid,
                                                  "X-Shopify-Shop-Domain": "acme.myshopify.com",
                                                  "X-Shopify-API-Version": "2024-07"},
                           "orders.create", wid)

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        return {"X-Shopify-Hmac-Sha256": hmac_b64(keys[0].signing, event.body)}


class StandardWebhooks(Provider):
    name = "standard-webhooks"
    prefix = "webhook"
    id_prefix = "evt_"
    signature_headers = ("webhook-signature",)

    def new_key(self) -> Key:
        return Key(whsec())

    def event(self, ts: int | None = None) -> Event:
        ts = ts or now()
        wid = self.id_prefix + secrets.token_hex(12)
        payload = {"type": "user.created", "timestamp": datetime.fromtimestamp(ts, timezone.utc).isoformat(),
                   "data": {"id": "user_1", "name": "genuine"}}
        return _json_event(payload, ts, {}, "user.created", wid)

    def _signer(self, secret: str) -> Any:
        from standardwebhooks.webhooks import Webhook

        return Webhook(secret)

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        at = datetime.fromtimestamp(event.ts, timezone.utc)
        sigs = [self._signer(k.signing).sign(event.event_id, at, event.body.decode()) for k in keys]
        p = self.prefix
        return {f"{p}-id": event.event_id, f"{p}-timestamp": str(event.ts), f"{p}-signature": " ".join(sigs)}

    def library_check(self, key: Key, event: Event, headers: dict[str, str]) -> None:
        self._signer(key.signing).verify(event.body, {k.lower(): v for k, v in headers.items()})


class Svix(StandardWebhooks):
    name = "svix"
    prefix = "svix"
    id_prefix = "msg_"  # Svix's own ids: not usable as a message eventId (msg_ is Hookbird's), still deduped
    signature_headers = ("svix-signature",)

    def _signer(self, secret: str) -> Any:
        from svix.webhooks import Webhook

        return Webhook(secret)


class GitLab(Provider):
    name = "gitlab"
    has_timestamp = False
    signs_body = False
    signature_headers = ("X-Gitlab-Token",)

    def event(self, ts: int | None = None) -> Event:
        eid = str(uuid.uuid4())
        payload = {"object_kind": "push", "event_name": "push", "ref": "refs/heads/main",
                   "project": {"id": 15, "path_with_namespace": "acme/hookbird"},
                   "commits": [{"id": secrets.token_hex(20), "message": "genuine"}]}
        return _json_event(payload, ts or now(), {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": eid,
                                                  "X-Gitlab-Instance": "https://gitlab.example.com"},
                           "Push.Hook", eid)

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        return {"X-Gitlab-Token": keys[0].signing}


class Twilio(Provider):
    """A form-encoded status callback: the URL plus the sorted POST parameters are signed."""

    name = "twilio"
    has_timestamp = False
    signature_headers = ("X-Twilio-Signature",)

    def new_key(self) -> Key:
        return Key(secrets.token_hex(16))  # an auth token

    def event(self, ts: int | None = None) -> Event:
        sid = "SM" + secrets.token_hex(16)
        fields = {"AccountSid": "AC" + "0" * 32, "MessageSid": sid, "SmsSid": sid, "MessageStatus": "delivered",
                  "SmsStatus": "delivered", "To": "+15005550006", "From": "+15005550001", "Body": "genuine",
                  "ApiVersion": "2010-04-01"}
        return Event(urlencode(fields).encode(), ts or now(),
                     {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                      "User-Agent": "TwilioProxy/1.1"},
                     "twilio.delivered", f"{sid}.delivered", fields)

    @staticmethod
    def signature(token: str, url: str, params: dict[str, str]) -> str:
        content = url + "".join(k + params[k] for k in sorted(params))
        return hmac_b64(token, content.encode(), hashlib.sha1)

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        from urllib.parse import parse_qsl

        params = dict(parse_qsl(event.body.decode(), keep_blank_values=True))
        return {"X-Twilio-Signature": self.signature(keys[0].signing, url, params)}


class Discord(Provider):
    name = "discord"
    signature_headers = ("X-Signature-Ed25519",)

    def new_key(self) -> Key:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        private = Ed25519PrivateKey.generate()
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        return Key(public, private)

    def event(self, ts: int | None = None, payload: Any = None) -> Event:
        iid = str(10**17 + secrets.randbelow(10**17))
        payload = payload or {"type": 2, "id": iid, "application_id": "1100000000000000000", "token": "tok",
                              "version": 1, "data": {"id": "1", "name": "genuine", "type": 1}}
        return _json_event(payload, ts or now(), {"User-Agent": "Discord-Interactions/1.0"},
                           f"discord.interaction.{payload['type']}", payload.get("id"))

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        sig = keys[0].signing.sign(str(event.ts).encode() + event.body).hex()
        return {"X-Signature-Ed25519": sig, "X-Signature-Timestamp": str(event.ts)}


class Telegram(Provider):
    name = "telegram"
    has_timestamp = False
    signs_body = False
    signature_headers = ("X-Telegram-Bot-Api-Secret-Token",)

    def new_key(self) -> Key:
        return Key(secrets.token_urlsafe(32))  # 1-256 of A-Za-z0-9_-

    def event(self, ts: int | None = None) -> Event:
        uid = 100_000_000 + secrets.randbelow(10**8)
        payload = {"update_id": uid, "message": {"message_id": 7, "date": ts or now(),
                                                 "chat": {"id": 42, "type": "private"},
                                                 "from": {"id": 42, "is_bot": False, "first_name": "Jon"},
                                                 "text": "genuine"}}
        return _json_event(payload, ts or now(), {}, "telegram.message", str(uid))

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        return {"X-Telegram-Bot-Api-Secret-Token": keys[0].signing}


class Linear(Provider):
    """The timestamp is the body's webhookTimestamp (Unix ms); the signature covers the body only."""

    name = "linear"
    signature_headers = ("Linear-Signature",)

    def new_key(self) -> Key:
        return Key("lin_wh_" + secrets.token_hex(16))

    def event(self, ts: int | None = None) -> Event:
        ts = ts or now()
        delivery = str(uuid.uuid4())
        payload = {"action": "create", "type": "Issue", "createdAt": datetime.fromtimestamp(ts, timezone.utc).isoformat(),
                   "data": {"id": str(uuid.uuid4()), "title": "genuine", "priority": 2},
                   "url": "https://linear.app/acme/issue/ACM-1", "organizationId": str(uuid.uuid4()),
                   "webhookTimestamp": ts * 1000 + 123, "webhookId": str(uuid.uuid4())}
        return _json_event(payload, ts, {"Linear-Delivery": delivery, "Linear-Event": "Issue",
                                         "User-Agent": "Linear-Webhook"}, "Issue.create", delivery)

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        return {"Linear-Signature": hmac_hex(keys[0].signing, event.body)}


class Paddle(Provider):
    name = "paddle"
    signature_headers = ("Paddle-Signature",)

    def new_key(self) -> Key:
        return Key("pdl_ntfset_" + secrets.token_hex(16))

    def event(self, ts: int | None = None) -> Event:
        ts = ts or now()
        eid = "evt_" + secrets.token_hex(13)
        payload = {"event_id": eid, "event_type": "transaction.completed",
                   "occurred_at": datetime.fromtimestamp(ts, timezone.utc).isoformat(),
                   "notification_id": "ntf_" + secrets.token_hex(13),
                   "data": {"id": "txn_" + secrets.token_hex(13), "status": "completed", "origin": "genuine"}}
        return _json_event(payload, ts, {}, "transaction.completed", eid)

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        content = f"{event.ts}:".encode() + event.body
        return {"Paddle-Signature": f"ts={event.ts};" + ";".join("h1=" + hmac_hex(k.signing, content) for k in keys)}


class Zoom(Provider):
    name = "zoom"
    signature_headers = ("x-zm-signature",)

    def event(self, ts: int | None = None, payload: Any = None) -> Event:
        ts = ts or now()
        payload = payload or {"event": "meeting.started", "event_ts": ts * 1000,
                              "payload": {"account_id": "acc1", "object": {"id": "85512345678", "topic": "genuine",
                                                                          "host_id": "h1"}}}
        return _json_event(payload, ts, {"User-Agent": "Zoom Marketplace/1.0a"}, payload["event"], None)

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        content = f"v0:{event.ts}:".encode() + event.body
        return {"x-zm-request-timestamp": str(event.ts), "x-zm-signature": "v0=" + hmac_hex(keys[0].signing, content)}


class GenericHMAC(Provider):
    """The generic scheme, every option set: SHA-512, base64, a prefix, a timestamp header and a template, the event
    type from a header and the id from a JSON pointer."""

    name = "hmac"
    signature_headers = ("X-Acme-Signature",)

    def source_fields(self) -> dict:
        # Top-level options (the API also takes them under "options").
        return {"header": "X-Acme-Signature", "algorithm": "sha512", "encoding": "base64", "prefix": "sha512=",
                "timestampHeader": "X-Acme-Timestamp", "template": "{timestamp}.{body}",
                "eventTypeHeader": "X-Acme-Event", "eventIdPointer": "/meta/id"}

    def event(self, ts: int | None = None) -> Event:
        ts = ts or now()
        eid = "acme_" + secrets.token_hex(10)
        payload = {"meta": {"id": eid, "attempt": 1}, "data": {"invoice": "inv_1", "state": "genuine"}}
        return _json_event(payload, ts, {"X-Acme-Event": "invoice/settled"}, "invoice.settled", eid)

    def sign(self, keys: list[Key], event: Event, url: str) -> dict[str, str]:
        content = f"{event.ts}.".encode() + event.body
        sigs = ",".join(hmac_b64(k.signing, content, hashlib.sha512) for k in keys)
        return {"X-Acme-Timestamp": str(event.ts), "X-Acme-Signature": "sha512=" + sigs}


PROVIDERS: list[Provider] = [Stripe(), GitHub(), Slack(), Shopify(), StandardWebhooks(), Svix(), GitLab(), Twilio(),
                             Discord(), Telegram(), Linear(), Paddle(), Zoom(), GenericHMAC()]
BY_NAME = {p.name: p for p in PROVIDERS}
