"""A `hookbird serve` process on a free loopback port (an SQLite file in its work directory, or a new PostgreSQL
database with HOOKBIRD_TEST_DATABASE=postgres; see database.py) with a random admin token, plus a small client of
its API; and `ServerFactory`, which starts servers for one test and always stops them.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Sequence

import pytest
import requests

from tests.support.binary import binary_path, clean_env
from tests.support.database import database_url
from tests.support.waiting import free_port, tail, unique

HEALTH_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0

# The flags a test server gets unless a test overrides them: loopback receivers allowed, a short retry schedule, a
# short request timeout and a short overload floor, so retries happen within seconds.
FAST_FLAGS: dict[str, str | None] = {
    "--egress-allow": "127.0.0.0/8,::1/128",
    "--retry-schedule": "200ms,200ms,200ms",
    "--request-timeout": "1s",
    "--overload-delay": "300ms",
    "--shutdown-timeout": "5s",
}


def terminate(proc: subprocess.Popen, timeout: float) -> int | None:
    """SIGTERM and wait; the exit code, or None if it had to be killed."""
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
        return None


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    if code > 128:
        return f"exit code {code} (shell-style signal {code - 128}?)"
    return f"exit code {code}"


def await_health(proc: subprocess.Popen, base_url: str, timeout: float = HEALTH_TIMEOUT_S,
                 verify: bool | str = True) -> str | None:
    """Polls `/api/v1/health` until it answers 200 (returns None), the process exits, or `timeout` passes; otherwise
    returns why it is not healthy (the exit, or the last answer or error), for the caller's own failure."""
    deadline = time.monotonic() + timeout
    last = "no attempt made"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"exited ({describe_exit(proc.returncode)}) before becoming healthy"
        try:
            r = requests.get(f"{base_url}/api/v1/health", timeout=2, verify=verify)
            if r.status_code == 200:
                return None
            last = f"HTTP {r.status_code}: {r.text[:200]}"
        except requests.RequestException as e:
            last = repr(e)
        time.sleep(0.05)
    return f"not healthy within {timeout:.0f} s (last: {last})"


def kill9(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)


class Hookbird:
    """One `hookbird serve` process plus a small API client for it."""

    def __init__(self, workdir: Path, flags: dict[str, str | None] | None = None, *, name: str = "hookbird",
                 db_path: Path | None = None, port: int | None = None, token: str | None = None,
                 binary: Path | None = None, base_flags: dict[str, str | None] | None = None) -> None:
        """`flags` on top of `base_flags` (default FAST_FLAGS); `binary` (default HOOKBIRD_BIN, e.g. a copy from
        binary.stable_copy)."""
        self.binary = binary
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db_path = db_path or workdir / f"{name}.sqlite"
        # SQLite: db_path; with HOOKBIRD_TEST_DATABASE=postgres, a new PostgreSQL database (kept across restarts).
        self.database = f"sqlite:{db_path}" if db_path else database_url(workdir, name)
        self.name = name
        self.port = port or free_port()
        self.token = token or "hbadmin_" + secrets.token_hex(16)
        self.flags = dict(FAST_FLAGS if base_flags is None else base_flags)
        self.flags.update(flags or {})
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.log_path = workdir / f"{name}.log"

    # -- process -----------------------------------------------------------

    def command(self) -> list[str]:
        cmd = [
            str(self.binary or binary_path()), "serve",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--database", self.database,
            "--admin-token", self.token,
        ]
        for flag, value in self.flags.items():
            if value is None:
                continue
            cmd += [flag, value] if value != "" else [flag]
        return cmd

    def start(self) -> "Hookbird":
        self.starts += 1
        env = clean_env()
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir,
                env=env,
            )
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        assert self.process is not None
        problem = await_health(self.process, self.base_url)
        if problem is not None:
            self.kill9()
            pytest.fail(f"hookbird {problem}\n--- server log ---\n{self.log_tail()}", pytrace=False)

    def stop(self, timeout: float = SHUTDOWN_TIMEOUT_S) -> int | None:
        """SIGTERM and wait; the exit code, or None if it had to be killed."""
        return None if self.process is None else terminate(self.process, timeout)

    def kill9(self) -> None:
        kill9(self.process)

    def shut_down(self) -> None:
        """After a test: stopped if it still runs, killed if it will not stop."""
        if self.process is not None and self.process.poll() is None:
            if self.stop() is None:
                self.kill9()

    def stop_shared(self, *, exit_zero: bool = True) -> None:
        """Stops a server that served a whole module or session; fails unless it exits within its shutdown timeout of
        SIGTERM (and, with `exit_zero`, with code 0)."""
        code = self.stop()
        if code is None:
            pytest.fail(f"{self.name} hookbird did not exit within {SHUTDOWN_TIMEOUT_S} s of SIGTERM\n"
                        f"{self.log_tail()}", pytrace=False)
        if exit_zero and code != 0:
            pytest.fail(f"{self.name} hookbird exited with {code} after SIGTERM\n{self.log_tail()}", pytrace=False)

    def log_tail(self, lines: int = 80) -> str:
        return tail(self.log_path, lines)

    # -- API ---------------------------------------------------------------

    def api(self, method: str, path: str, expect: int | Sequence[int] | None = None, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        r = self.http.request(method, f"{self.base_url}/api/v1{path}", **kwargs)
        if expect is not None:
            allowed = (expect,) if isinstance(expect, int) else tuple(expect)
            assert r.status_code in allowed, f"{method} {path} -> {r.status_code} {r.text[:500]}"
        return r

    def create_app(self, name: str = "delivery") -> str:
        return self.api("POST", "/app", 201, json={"name": unique(name)}).json()["id"]

    def create_event_type(self, name: str) -> None:
        self.api("POST", "/event-type", (201, 409), json={"name": name, "description": name})

    def create_endpoint(self, app: str, url: str, **fields: Any) -> dict:
        return self.api("POST", f"/app/{app}/endpoint", 201, json={"url": url, **fields}).json()

    def endpoint(self, app: str, ep: str) -> dict:
        return self.api("GET", f"/app/{app}/endpoint/{ep}", 200).json()

    def secret(self, app: str, ep: str) -> str:
        return self.api("GET", f"/app/{app}/endpoint/{ep}/secret", 200).json()["key"]

    def send(self, app: str, event_type: str = "test.event", payload: dict | None = None, **fields: Any) -> dict:
        body = {"eventType": event_type, "payload": payload if payload is not None else {"n": 1}, **fields}
        return self.api("POST", f"/app/{app}/msg", 202, json=body).json()

    def attempts_for_msg(self, app: str, msg: str, **params: Any) -> list[dict]:
        params.setdefault("limit", 250)
        return self.api("GET", f"/app/{app}/attempt/msg/{msg}", 200, params=params).json()["data"]

    def attempts_for_endpoint(self, app: str, ep: str, **params: Any) -> list[dict]:
        params.setdefault("limit", 250)
        return self.api("GET", f"/app/{app}/attempt/endpoint/{ep}", 200, params=params).json()["data"]

    def stats(self, app: str, ep: str) -> dict:
        return self.api("GET", f"/app/{app}/endpoint/{ep}/stats", 200).json()

    def settled(self, app: str, ep: str) -> bool:
        """No delivery to the endpoint is pending or in flight (stats count attempts for success/fail and
        deliveries for pending/sending)."""
        stats = self.stats(app, ep)
        return stats["pending"] == 0 and stats["sending"] == 0

    def wait_attempts(self, app: str, msg: str, count: int, timeout: float = 10.0, **params: Any) -> list[dict]:
        """Attempts of a message, oldest first, once there are at least `count`."""
        got: list[dict] = []

        def enough() -> bool:
            nonlocal got
            got = self.attempts_for_msg(app, msg, **params)
            return len(got) >= count

        deadline = time.monotonic() + timeout
        while not enough():
            if time.monotonic() > deadline:
                pytest.fail(
                    f"message {msg} has {len(got)} attempt(s) after {timeout:.1f} s, expected {count}: "
                    f"{[(a['responseStatusCode'], a['response'][:80]) for a in got]}\n--- log ---\n{self.log_tail(30)}",
                    pytrace=False,
                )
            time.sleep(0.05)
        return sorted(got, key=lambda a: (a["timestamp"], a["id"]))

    def metrics(self) -> str:
        r = requests.get(f"{self.base_url}/metrics", timeout=5)
        assert r.status_code == 200, r.text[:300]
        return r.text


class ServerFactory:
    """Starts servers for one test and always stops them afterwards: factory({"--flag": "value"}). `cls` and
    `defaults` (keyword arguments for every server) let a suite start its own kind of `Hookbird`."""

    def __init__(self, tmp: Path, cls: type[Hookbird] = Hookbird, **defaults: Any) -> None:
        self.tmp = tmp
        self.cls = cls
        self.defaults = defaults
        self.servers: list[Hookbird] = []

    def __call__(self, flags: dict[str, str | None] | None = None, *, start: bool = True, **kwargs: Any) -> Hookbird:
        kwargs = {**self.defaults, **kwargs}
        server = self.cls(self.tmp, flags, name=kwargs.pop("name", f"hookbird{len(self.servers)}"), **kwargs)
        self.servers.append(server)
        if start:
            server.start()
        return server

    def cleanup(self) -> None:
        for server in self.servers:
            server.shut_down()
