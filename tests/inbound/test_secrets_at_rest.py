"""`--secrets-key`: the secrets Hookbird keeps (endpoints' signing secrets, sources' provider secrets, generated
settings) are stored encrypted, a database from before the key is encrypted at the next start, and a database
whose secrets are encrypted refuses to start without its key or with another one. Checked as a user would: the
tables read directly (sqlite3 / psql), deliveries verified with the `standardwebhooks` package, a Stripe-signed
request accepted by a source whose secret is encrypted.
"""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
import subprocess

import standardwebhooks

from inbound_harness import Hookbird, dumps, hmac_hex, now, whsec
from tests.support import Receiver, unique, wait_until

STORED_SECRETS_SQL = (
    "SELECT secret FROM endpoints UNION ALL SELECT retired_secrets FROM endpoints "
    "UNION ALL SELECT settings FROM sources UNION ALL SELECT value FROM settings"
)


def stored_secrets(server: Hookbird) -> list[str]:
    """The columns that hold secrets, as the database stores them."""
    if server.database.startswith("sqlite:"):
        with sqlite3.connect(server.database[len("sqlite:"):]) as db:
            return [row[0] for row in db.execute(STORED_SECRETS_SQL)]
    out = subprocess.run(["psql", server.database, "-X", "-A", "-t", "-c", STORED_SECRETS_SQL],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    return [line for line in out.splitlines() if line]


def holds(stored: list[str], value: str) -> bool:
    """Whether a stored text holds `value` (JSON text may write "/" as "\\/")."""
    return any(value in text or value.replace("/", "\\/") in text for text in stored)


def refused_start(server: Hookbird, flags: dict[str, str | None]) -> subprocess.CompletedProcess:
    """`serve` on the server's database with other flags, expected to exit at once."""
    command = server.command()
    for flag, value in flags.items():
        if flag in command:
            index = command.index(flag)
            del command[index:index + 2]
        if value is not None:
            command += [flag, value]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def stripe_headers(secret: str, body: bytes) -> dict[str, str]:
    t = now()
    return {"Stripe-Signature": f"t={t},v1={hmac_hex(secret, f'{t}.'.encode() + body)}",
            "Content-Type": "application/json"}


def test_secrets_are_encrypted_from_the_start_with_a_key_and_webhooks_still_verify(servers, receiver: Receiver):
    server = servers()  # first without a key: what an existing installation has
    app = server.create_app()
    path = f"/secrets-{unique('p')}"
    endpoint = server.create_endpoint(app, receiver.url(path))
    secret = server.endpoint_secret(app, endpoint["id"])
    stripe_secret = whsec()
    source = server.create_source(app, "stripe", [stripe_secret])
    stored = stored_secrets(server)
    assert holds(stored, secret) and holds(stored, stripe_secret)

    key = base64.b64encode(secrets.token_bytes(32)).decode()
    assert server.stop() == 0
    server.flags["--secrets-key"] = key
    server.start()
    assert "encrypted the stored secrets of 2 rows with --secrets-key" in server.log_tail(), server.log_tail()
    stored = stored_secrets(server)
    assert stored and all(text.startswith("hbenc1:") for text in stored), stored
    assert not holds(stored, secret) and not holds(stored, stripe_secret)

    # The API and the delivery engine see the secret as before: the receiver verifies the delivery with it.
    assert server.endpoint_secret(app, endpoint["id"]) == secret
    message = server.api("POST", f"/app/{app}/msg", 202,
                         json={"eventType": "invoice.paid", "payload": {"n": 1}}).json()
    got = receiver.wait_for(path, 1)[0]
    assert standardwebhooks.Webhook(secret).verify(got.body, got.headers) == {"n": 1}
    assert got.header("webhook-id") == message["id"]

    # A rotated secret is stored encrypted too, and signs the next delivery.
    server.api("POST", f"/app/{app}/endpoint/{endpoint['id']}/secret/rotate", (200, 204), json={})
    rotated = server.endpoint_secret(app, endpoint["id"])
    assert rotated != secret and not holds(stored_secrets(server), rotated)
    server.api("POST", f"/app/{app}/msg", 202, json={"eventType": "invoice.paid", "payload": {"n": 2}})
    got = receiver.wait_for(path, 2)[1]
    assert standardwebhooks.Webhook(rotated).verify(got.body, got.headers) == {"n": 2}

    # The source checks Stripe's signature with its decrypted secret.
    body = dumps({"id": f"evt_{unique('s')}", "type": "charge.succeeded", "data": {"object": {"note": "genuine"}}})
    r = server.post_webhook(source["id"], body, stripe_headers(stripe_secret, body))
    assert r.status_code == 200, r.text
    r = server.post_webhook(source["id"], body, stripe_headers(whsec(), body))
    assert r.status_code == 401, r.text
    wait_until(lambda: len(receiver.received(path)) == 3, 10, message="the accepted event forwarded")
    assert json.loads(receiver.received(path)[2].body)["type"] == "charge.succeeded"

    # From now on the key is needed, and only that key opens the database.
    assert server.stop() == 0
    no_key = refused_start(server, {"--secrets-key": None})
    assert no_key.returncode != 0
    assert "the database's secrets are encrypted: give the --secrets-key" in no_key.stderr, no_key.stderr
    other_key = refused_start(server, {"--secrets-key": base64.b64encode(secrets.token_bytes(32)).decode()})
    assert other_key.returncode != 0
    assert "encrypted with another --secrets-key" in other_key.stderr, other_key.stderr
    short = refused_start(server, {"--secrets-key": "short"})
    assert short.returncode != 0 and "at least 32 bytes" in short.stderr, short.stderr
    server.start()
    assert server.endpoint_secret(app, endpoint["id"]) == rotated


def test_the_key_is_changed_with_previous_secrets_key(servers, receiver: Receiver):
    old_key = base64.b64encode(secrets.token_bytes(32)).decode()
    new_key = base64.b64encode(secrets.token_bytes(32)).decode()
    server = servers({"--secrets-key": old_key})
    app = server.create_app()
    path = f"/rotate-{unique('p')}"
    endpoint = server.create_endpoint(app, receiver.url(path))
    secret = server.endpoint_secret(app, endpoint["id"])
    sealed_with_old = stored_secrets(server)
    assert server.stop() == 0

    lone_previous = refused_start(server, {"--secrets-key": None, "--previous-secrets-key": old_key})
    assert lone_previous.returncode != 0 and "needs the new key as --secrets-key" in lone_previous.stderr
    new_alone = refused_start(server, {"--secrets-key": new_key})
    assert new_alone.returncode != 0 and "give the old one as --previous-secrets-key" in new_alone.stderr

    server.flags.update({"--secrets-key": new_key, "--previous-secrets-key": old_key})
    server.start()
    assert "encrypted the stored secrets of" in server.log_tail(), server.log_tail()
    sealed_with_new = stored_secrets(server)
    assert len(sealed_with_new) == len(sealed_with_old) and not set(sealed_with_new) & set(sealed_with_old)
    assert server.stop() == 0

    # The new key alone opens everything now; the old one no longer does.
    del server.flags["--previous-secrets-key"]
    server.start()
    assert server.endpoint_secret(app, endpoint["id"]) == secret
    server.api("POST", f"/app/{app}/msg", 202, json={"eventType": "invoice.paid", "payload": {"rotated": True}})
    got = receiver.wait_for(path, 1)[0]
    assert standardwebhooks.Webhook(secret).verify(got.body, got.headers) == {"rotated": True}
    assert server.stop() == 0
    old_alone = refused_start(server, {"--secrets-key": old_key})
    assert old_alone.returncode != 0 and "encrypted with another --secrets-key" in old_alone.stderr
