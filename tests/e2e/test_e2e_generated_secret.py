"""First start without --admin-token/--jwt-secret: a generated JWT secret.

What a user does: start `hookbird serve` with no credentials, copy the
organisation token it prints on stdout (from a terminal, `docker logs`,
`journalctl`...), use it; restart later and keep using it; mint more with
`hookbird token create --database sqlite:SAME`.
"""

from __future__ import annotations

import base64
import secrets
import signal
import sqlite3

import requests
from svix import Svix, SvixOptions
from svix.api import ApplicationIn

from hookbird_e2e import JWT_RE, auth, describe_exit, jwt_claims
from tests.support import poll


def _tokens(text: str) -> list[str]:
    return JWT_RE.findall(text)


def test_generated_token_flow_across_restarts(hb, workdir):
    db = workdir / "generated.sqlite"

    first = hb.serve(db)
    code = first.signal_and_wait(signal.SIGTERM)
    assert code == 0, f"first start: SIGTERM -> {describe_exit(code)}\n{first.logs()}"
    printed = _tokens(first.stdout())
    assert len(printed) == 1, (
        f"first start should print exactly one token on stdout, found {len(printed)}\n"
        f"{first.logs()}")
    token = printed[0]
    assert jwt_claims(token)["sub"].startswith("org_")

    # Second start on the same DB: no token printed, the first one still works.
    second = hb.serve(db)
    client = Svix(token, SvixOptions(server_url=second.base_url, retry_schedule=[]))
    app = client.application.create(ApplicationIn(name="generated", uid="generated-app"))
    assert app.id.startswith("app_")

    # token create --database: a new working token for the same organisation.
    r = hb.run(["token", "create", "--database", hb.database(db)])
    assert r.returncode == 0, f"token create --database: {describe_exit(r.returncode)}\n{r.stderr}"
    minted = r.stdout.strip()
    assert JWT_RE.fullmatch(minted), f"token create printed {r.stdout!r}"
    got = requests.get(f"{second.base_url}/api/v1/app/generated-app", headers=auth(minted),
                       timeout=10)
    assert got.status_code == 200, f"minted token: HTTP {got.status_code} {got.text}"
    assert got.json()["id"] == app.id

    code = second.signal_and_wait(signal.SIGTERM)
    assert code == 0, f"second start: SIGTERM -> {describe_exit(code)}\n{second.logs()}"
    again = _tokens(second.stdout()) + _tokens(second.stderr())
    assert again == [], f"second start printed a token again: {second.logs()}"


def test_generated_token_is_visible_while_the_server_runs(hb, workdir):
    """The token must be on stdout as soon as the server is up, not only at exit.

    With stdout redirected to a file or pipe (docker, systemd, nohup), a token
    stuck in the stdio buffer is lost for good if the process is then killed
    or crashes - and later starts never print it again.
    """
    server = hb.serve(workdir / "visible.sqlite")
    seen = poll(lambda: _tokens(server.stdout()), timeout=10)
    assert seen, (
        "10 s after the server became healthy, stdout (redirected to a file) still holds no "
        "token: it is buffered and only written at exit.\n" + server.logs())
    r = requests.get(f"{server.base_url}/api/v1/app", headers=auth(seen[0]), timeout=10)
    assert r.status_code == 200, r.text



def test_generated_secret_is_encrypted_under_the_secrets_key_from_the_environment(hb, workdir):
    """HOOKBIRD_SECRETS_KEY encrypts the generated JWT secret; `token create --database` then needs the key too."""
    db = workdir / "sealed.sqlite"
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    server = hb.serve(db, env={"HOOKBIRD_SECRETS_KEY": key})
    token = poll(lambda: _tokens(server.stdout()), timeout=10)[0]
    code = server.signal_and_wait(signal.SIGTERM)
    assert code == 0, f"SIGTERM -> {describe_exit(code)}\n{server.logs()}"
    if not str(hb.database(db)).startswith("postgres"):
        with sqlite3.connect(db) as conn:
            (stored,) = conn.execute("SELECT value FROM settings WHERE name = 'jwt_secret'").fetchone()
        assert stored.startswith("hbenc1:"), stored

    refused = hb.run(["token", "create", "--database", hb.database(db)])
    assert refused.returncode != 0
    assert "give the --secrets-key (HOOKBIRD_SECRETS_KEY)" in refused.stderr, refused.stderr
    minted = hb.run(["token", "create", "--database", hb.database(db), "--secrets-key", key])
    assert minted.returncode == 0, minted.stderr
    again = hb.serve(db, env={"HOOKBIRD_SECRETS_KEY": key})
    for t in (token, minted.stdout.strip()):
        r = requests.get(f"{again.base_url}/api/v1/app", headers=auth(t), timeout=10)
        assert r.status_code == 200, r.text
