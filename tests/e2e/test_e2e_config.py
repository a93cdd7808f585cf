"""Configuration: environment variables, flag precedence, --database checks,
--help text, `hookbird migrate`, and start-up errors."""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import time

import pytest
import requests

from hookbird_e2e import (ON_POSTGRES, assert_json_error, auth, crashed, create_app, describe_exit,
                          free_port, missing_words, not_about_the_database, sqlite_only)

SERVE_FLAGS = ["--host", "--port", "--database", "--admin-token", "--jwt-secret", "--max-body",
               "--tls-cert", "--tls-key", "--durability", "--https-only", "--log-level", "--secrets-key"]


def _serve_env_only(hb, env: dict, port: int):
    """`hookbird serve` with no flags at all: everything from the environment."""
    p = hb.spawn(["serve"], env=env, port=port)
    p.wait_healthy()
    return p


def test_env_vars_configure_port_token_and_database(hb, workdir):
    port = free_port()
    db = workdir / "from-env.sqlite"
    database = hb.database(db)
    token = "hbadmin_from_env_0123456789abcdef"
    p = _serve_env_only(hb, {"HOOKBIRD_PORT": str(port), "HOOKBIRD_HOST": "127.0.0.1",
                             "HOOKBIRD_ADMIN_TOKEN": token,
                             "HOOKBIRD_DATABASE": database}, port)
    app = create_app(p.base_url, token, "env", uid="env-app")
    assert db.exists() or ON_POSTGRES, "HOOKBIRD_DATABASE was not used"
    assert not (workdir / "hookbird.sqlite").exists(), "default database file created anyway"
    r = requests.get(f"{p.base_url}/api/v1/app", headers=auth("wrong-token"), timeout=10)
    assert_json_error(r, 401)

    # The data really is in that file: restart on it and read the app back.
    assert p.signal_and_wait() == 0, p.logs()
    p2 = _serve_env_only(hb, {"HOOKBIRD_PORT": str(port), "HOOKBIRD_ADMIN_TOKEN": token,
                              "HOOKBIRD_DATABASE": database}, port)
    r = requests.get(f"{p2.base_url}/api/v1/app/env-app", headers=auth(token), timeout=10)
    assert r.status_code == 200 and r.json()["id"] == app["id"], r.text


def test_flags_win_over_env_vars(hb, workdir):
    env_port, flag_port = free_port(), free_port()
    env_token, flag_token = "hbadmin_env_side_000000000000", "hbadmin_flag_side_00000000000"
    env_db, flag_db = workdir / "env.sqlite", workdir / "flag.sqlite"
    env = {"HOOKBIRD_PORT": str(env_port), "HOOKBIRD_ADMIN_TOKEN": env_token,
           "HOOKBIRD_DATABASE": hb.database(env_db)}
    p = hb.serve(flag_db, "--admin-token", flag_token, port=flag_port, env=env)

    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{env_port}/api/v1/health", timeout=3)
    create_app(p.base_url, flag_token, "flag wins")
    r = requests.get(f"{p.base_url}/api/v1/app", headers=auth(env_token), timeout=10)
    assert_json_error(r, 401)
    if not ON_POSTGRES:
        assert flag_db.exists() and not env_db.exists()


# Port 1 on loopback: nothing listens, so the connection is refused at once.
@pytest.mark.parametrize("url", ["postgres://user:pw@127.0.0.1:1/hookbird",
                                 "postgresql://user:pw@127.0.0.1:1/hookbird?sslmode=disable"])
@not_about_the_database
def test_unreachable_postgres_database_is_reported_clearly(hb, url):
    for cmd in (["serve", "--port", str(free_port()), "--admin-token", "x" * 32],
                ["migrate"]):
        r = hb.run([*cmd, "--database", url])
        out = r.stdout + r.stderr
        assert r.returncode != 0, f"{cmd[0]} --database {url} exited 0:\n{out}"
        assert not crashed(r.returncode, out), out[-2000:]
        assert "postgresql" in out.lower(), f"{cmd[0]}: message does not mention PostgreSQL:\n{out}"
        assert "user:pw" not in out, "the connection string (with its password) is echoed back"


@pytest.mark.parametrize("url", ["postgres://localhost/hookbird", "postgres://user@localhost/",
                                 "postgres://user@localhost/db?sslmode=sometimes"])
@not_about_the_database
def test_malformed_postgres_urls_are_refused_clearly(hb, url):
    r = hb.run(["migrate", "--database", url])
    out = r.stdout + r.stderr
    assert r.returncode != 0, f"--database {url!r} exited 0:\n{out}"
    assert not crashed(r.returncode, out), out[-2000:]
    assert "postgres" in out.lower() and "database" in out.lower(), out


@not_about_the_database
@pytest.mark.parametrize("url", ["mysql://localhost/hookbird", "hookbird.sqlite", "sqlite:"])
def test_other_database_urls_are_refused_clearly(hb, url):
    r = hb.run(["serve", "--port", str(free_port()), "--admin-token", "x" * 32,
                "--database", url])
    out = r.stdout + r.stderr
    assert r.returncode != 0, f"--database {url!r} exited 0:\n{out}"
    assert not crashed(r.returncode, out), out[-2000:]
    assert "sqlite:" in out and "database" in out.lower(), (
        f"--database {url!r}: the message should say what is accepted:\n{out}")


@not_about_the_database
def test_serve_help_mentions_every_flag_and_env_var(hb):
    r = hb.run(["serve", "--help"])
    assert r.returncode == 0, r.stderr
    text = r.stdout + r.stderr
    assert not missing_words(text, SERVE_FLAGS), f"serve --help lacks {missing_words(text, SERVE_FLAGS)}"
    env_names = ["HOOKBIRD_" + f[2:].upper().replace("-", "_") for f in SERVE_FLAGS]
    assert not missing_words(text, env_names), f"serve --help lacks {missing_words(text, env_names)}"
    assert not missing_words(text, ["sqlite:", "full", "normal"]), text


@not_about_the_database
def test_top_level_help_lists_commands_and_env_convention(hb):
    r = hb.run(["--help"])
    assert r.returncode == 0, r.stderr
    text = r.stdout + r.stderr
    assert not missing_words(text, ["serve", "migrate", "token", "HOOKBIRD_"]), text
    r = hb.run(["--version"])
    assert r.returncode == 0 and r.stdout.strip(), r


@sqlite_only
def test_migrate_creates_a_new_database_then_serve_uses_it(hb, workdir):
    db = workdir / "sub" / "fresh.sqlite"
    db.parent.mkdir()
    r = hb.run(["migrate", "--database", f"sqlite:{db}"])
    assert r.returncode == 0, f"migrate: {describe_exit(r.returncode)}\n{r.stdout}{r.stderr}"
    assert db.is_file() and db.stat().st_size > 0
    con = sqlite3.connect(str(db))
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()
    assert tables, "migrate created an empty database"

    again = hb.run(["migrate", "--database", f"sqlite:{db}"])
    assert again.returncode == 0, f"migrate is not idempotent:\n{again.stderr}"

    token = "hbadmin_migrated_0000000000000"
    p = hb.serve(db, "--admin-token", token)
    create_app(p.base_url, token, "after migrate")


@sqlite_only
def test_migrate_into_a_missing_directory_fails_clearly(hb, workdir):
    r = hb.run(["migrate", "--database", f"sqlite:{workdir / 'no' / 'such' / 'dir.sqlite'}"])
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert not crashed(r.returncode, out), out[-2000:]
    assert "director" in out.lower() or "no such" in out.lower(), out


@not_about_the_database
def test_port_zero_reports_the_chosen_port(hb, workdir):
    p = hb.spawn(["serve", "--host", "127.0.0.1", "--port", "0", "--database",
                  f"sqlite:{workdir / 'p0.sqlite'}", "--admin-token", "x" * 32])
    deadline = time.monotonic() + 30
    m = None
    while time.monotonic() < deadline and m is None and p.proc.poll() is None:
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", p.output())
        time.sleep(0.05)
    assert m, f"no 'listening on' line with the port\n{p.logs()}"
    p.port = int(m.group(1))
    assert p.port != 0
    p.wait_healthy()


@not_about_the_database
def test_port_already_in_use_is_a_clean_error(hb, workdir):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        p = hb.serve(workdir / "busy.sqlite", "--admin-token", "x" * 32, port=busy, wait=False)
        try:
            code = p.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server kept running although port {busy} is taken\n{p.logs()}")
    out = p.output()
    did_crash = crashed(code, out)
    assert not did_crash, (f"port {busy} in use: crashed ({describe_exit(code)}) instead of a "
                           f"clean error\n{p.logs()}")
    assert code != 0
    assert "in use" in out.lower() or str(busy) in out, f"the error does not say why:\n{p.logs()}"


@not_about_the_database
def test_max_body_flag_is_enforced(hb, workdir):
    token = "hbadmin_maxbody_000000000000000"
    p = hb.serve(workdir / "maxbody.sqlite", "--admin-token", token, "--max-body", "2048")
    app = create_app(p.base_url, token, "max body")
    small = {"eventType": "a.b", "payload": {"x": "y" * 100}}
    big = {"eventType": "a.b", "payload": {"x": "y" * 4096}}
    url = f"{p.base_url}/api/v1/app/{app['id']}/msg"
    assert requests.post(url, json=small, headers=auth(token), timeout=10).status_code == 202
    r = requests.post(url, json=big, headers=auth(token), timeout=10)
    assert_json_error(r, 413)
