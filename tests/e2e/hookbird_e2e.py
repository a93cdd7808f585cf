"""Helpers for the process-level end-to-end suite (tests/e2e).

Everything here starts, stops and talks to real `hookbird` processes:
free loopback ports, throw-away SQLite files, bounded waits (polls, never
blind sleeps), and guaranteed cleanup through `ProcessRegistry`.

With HOOKBIRD_TEST_DATABASE=postgres (and HOOKBIRD_TEST_POSTGRES_URL), a
server started on an SQLite path gets a new PostgreSQL database instead, the
same one each time the same path is given (restarts, `token create`); tests
about the SQLite file itself are marked `sqlite_only`, and those that never
reach the database `not_about_the_database`, and are skipped on that pass.

Only the standard library plus `requests` is used, so the suite runs in the
same venv as tests/sdk without extra installs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pytest
import requests

from tests.support import HEALTH_TIMEOUT_S, SHUTDOWN_TIMEOUT_S, backend, free_port, new_postgres_database
from tests.support.process import await_health, describe_exit

ON_POSTGRES = backend() == "postgres"
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="about the SQLite file itself")
not_about_the_database = pytest.mark.skipif(
    ON_POSTGRES, reason="does not depend on the database: runs in the SQLite pass only")

CLI_TIMEOUT_S = 60.0

# A JWT: three base64url segments.
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


# --------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------

def head(path: Path, lines: int = 10, max_bytes: int = 8 * 1024) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes)
    except OSError:
        return "<missing>"
    return "\n".join(data.decode(errors="replace").splitlines()[:lines])


def tail(path: Path, lines: int = 60, max_bytes: int = 64 * 1024) -> str:
    """The last lines of a (possibly huge) log file."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
    except OSError:
        return "<missing>"
    text = data.decode(errors="replace").splitlines()[-lines:]
    prefix = f"[... {size} bytes in all]\n" if size > max_bytes else ""
    return prefix + "\n".join(text)


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment minus any HOOKBIRD_* variable.

    Swift's crash backtracer is switched off (it takes >10 s per crash and
    only adds noise to logs) unless HOOKBIRD_E2E_BACKTRACE=1 is set.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKBIRD_")}
    if os.environ.get("HOOKBIRD_E2E_BACKTRACE") != "1":
        env["SWIFT_BACKTRACE"] = "enable=no"
    if extra:
        env.update(extra)
    return env


def crashed(code: int | None, output: str) -> bool:
    """True when a process died from a signal / Swift runtime trap."""
    if code is not None and code < 0:
        return True
    markers = ("Assertion failed", "Fatal error", "Program crashed", "Illegal instruction")
    return any(m in output for m in markers)


# --------------------------------------------------------------------------
# JWT (HS256) by hand, so no PyJWT is needed
# --------------------------------------------------------------------------

def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def make_jwt(secret: str | bytes, claims: dict, alg: str = "HS256") -> str:
    header = _b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode()
    if alg == "none":
        return f"{header}.{payload}."
    key = secret.encode() if isinstance(secret, str) else secret
    sig = hmac.new(key, signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(sig)}"


def jwt_claims(token: str) -> dict:
    return json.loads(b64url_decode(token.split(".")[1]))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

class HookbirdProcess:
    """One `hookbird serve` process with its stdout/stderr in files."""

    def __init__(self, *, binary: Path, workdir: Path, name: str, args: Sequence[str],
                 env: Mapping[str, str], port: int | None, scheme: str = "http",
                 verify: bool | str = True) -> None:
        self.binary = binary
        self.workdir = workdir
        self.name = name
        self.args = list(args)
        self.port = port
        self.scheme = scheme
        self.verify = verify
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                [str(binary), *self.args],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                cwd=workdir, env=dict(env),
            )

    # -- introspection ----------------------------------------------------
    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def output(self) -> str:
        return self.stdout() + self.stderr()

    def logs(self, lines: int = 40) -> str:
        def show(path: Path, label: str) -> str:
            try:
                big = path.stat().st_size > 16 * 1024
            except OSError:
                big = False
            if big:  # e.g. a log flood: the first lines usually hold the cause
                return (f"--- {self.name} {label} (head) ---\n{head(path, 15)}\n"
                        f"--- {self.name} {label} (tail) ---\n{tail(path, 10)}")
            return f"--- {self.name} {label} ---\n{tail(path, lines)}"
        return (f"--- {self.name} argv: {self.args}\n"
                f"--- {self.name} status: {describe_exit(self.proc.poll())}\n"
                f"{show(self.stdout_path, 'stdout')}\n{show(self.stderr_path, 'stderr')}")

    # -- lifecycle --------------------------------------------------------
    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT_S) -> None:
        problem = await_health(self.proc, self.base_url, timeout, verify=self.verify)
        if problem is not None:
            raise ServerDidNotStart(f"hookbird {problem}.\n{self.logs()}")

    def signal_and_wait(self, sig: int = signal.SIGTERM,
                        timeout: float = SHUTDOWN_TIMEOUT_S) -> int | None:
        """Send sig and wait; the exit code, or None if it did not exit in time."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill9(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def ensure_dead(self) -> None:
        if self.proc.poll() is not None:
            return
        if self.signal_and_wait(signal.SIGTERM, SHUTDOWN_TIMEOUT_S) is None:
            self.kill9()


class ServerDidNotStart(AssertionError):
    pass


class ProcessRegistry:
    """Starts hookbird processes and CLI commands; kills leftovers at teardown."""

    def __init__(self, binary: Path, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.processes: list[HookbirdProcess] = []
        self._counter = 0
        self._postgres: dict[str, str] = {}

    def _name(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    def spawn(self, args: Sequence[str], *, env: Mapping[str, str] | None = None,
              port: int | None = None, scheme: str = "http", verify: bool | str = True,
              name: str | None = None) -> HookbirdProcess:
        """Start `hookbird <args>` as given (no defaults added)."""
        p = HookbirdProcess(binary=self.binary, workdir=self.workdir,
                            name=name or self._name("server"), args=args,
                            env=clean_env(env), port=port, scheme=scheme, verify=verify)
        self.processes.append(p)
        return p

    def serve(self, database: Path | str, *extra: str, port: int | None = None,
              env: Mapping[str, str] | None = None, scheme: str = "http",
              verify: bool | str = True, wait: bool = True, attempts: int = 3,
              name: str | None = None) -> HookbirdProcess:
        """`hookbird serve --host 127.0.0.1 --port P --database sqlite:DB <extra>`.

        With wait=True, returns once /api/v1/health answers 200. A start that
        fails because the chosen free port was taken meanwhile is retried on
        another port (only when the port was not fixed by the caller).
        """
        db = self.database(database)
        fixed_port = port is not None
        for attempt in range(attempts):
            use_port = port if fixed_port else free_port()
            args = ["serve", "--host", "127.0.0.1", "--port", str(use_port),
                    "--database", db, *extra]
            p = self.spawn(args, env=env, port=use_port, scheme=scheme, verify=verify, name=name)
            if not wait:
                return p
            try:
                p.wait_healthy()
                return p
            except ServerDidNotStart:
                out = p.output().lower()
                if (not fixed_port and attempt + 1 < attempts
                        and ("in use" in out or "eaddrinuse" in out)):
                    p.ensure_dead()
                    continue
                p.ensure_dead()
                raise
        raise AssertionError("unreachable")

    def database(self, database: Path | str) -> str:
        """The --database for a server on `database`: a string as it is; a path as `sqlite:PATH`, or, on the
        PostgreSQL pass (HOOKBIRD_TEST_DATABASE=postgres), a PostgreSQL database of its own, the same for every use
        of the same path."""
        if isinstance(database, str):
            return database
        if not ON_POSTGRES:
            return f"sqlite:{database}"
        key = str(Path(database).resolve())
        if key not in self._postgres:
            server = os.environ.get("HOOKBIRD_TEST_POSTGRES_URL", "").strip()
            if not server:
                raise RuntimeError("HOOKBIRD_TEST_DATABASE=postgres needs HOOKBIRD_TEST_POSTGRES_URL")
            self._postgres[key] = new_postgres_database(server)
        return self._postgres[key]

    def run(self, args: Sequence[str], *, env: Mapping[str, str] | None = None,
            timeout: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess:
        """Run a short-lived CLI command to completion (captured text output)."""
        return subprocess.run([str(self.binary), *args], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout,
                              cwd=self.workdir, env=clean_env(env))

    def cleanup(self) -> list[str]:
        """Stop every process still running; returns notes about leftovers."""
        notes = []
        for p in self.processes:
            if p.proc.poll() is None:
                notes.append(f"{p.name} was still running at teardown")
                p.ensure_dead()
        return notes


# --------------------------------------------------------------------------
# API helpers
# --------------------------------------------------------------------------

def create_app(base_url: str, token: str, name: str = "e2e", uid: str | None = None,
               **kw) -> dict:
    body = {"name": name}
    if uid:
        body["uid"] = uid
    r = requests.post(f"{base_url}/api/v1/app", json=body, headers=auth(token), timeout=10, **kw)
    assert r.status_code == 201, f"app create: HTTP {r.status_code} {r.text}"
    return r.json()


def list_all(base_url: str, path: str, token: str, params: dict | None = None,
             page: int = 250, max_pages: int = 1000) -> list[dict]:
    """Follow `iterator` until `done`."""
    items: list[dict] = []
    query = dict(params or {})
    query["limit"] = page
    for _ in range(max_pages):
        r = requests.get(f"{base_url}{path}", params=query, headers=auth(token), timeout=30)
        assert r.status_code == 200, f"GET {path} {query}: HTTP {r.status_code} {r.text}"
        body = r.json()
        items.extend(body["data"])
        if body["done"] or not body["data"]:
            return items
        query["iterator"] = body["iterator"]
    raise AssertionError(f"pagination of {path} did not finish after {max_pages} pages")


def assert_json_error(r: requests.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, f"expected HTTP {status}, got {r.status_code}: {r.text}"
    ctype = r.headers.get("content-type", "")
    assert ctype.startswith("application/json"), f"error content-type {ctype!r}: {r.text!r}"
    body = r.json()
    assert isinstance(body.get("code"), str) and body["code"], body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def missing_words(text: str, words: Iterable[str]) -> list[str]:
    """The words that do not occur in text."""
    return [w for w in words if w not in text]
