"""Helpers for the end-to-end delivery suite (tests/delivery): the scriptable receiver and the server process.

Real `hookbird serve` processes (each on a free loopback port with a throw-away
SQLite database and a random admin token, started and stopped the same way as
tests/sdk/conftest.py) deliver to a real HTTP receiver (`Receiver`): a threading
`http.server` on a free loopback port that records every request and can be
scripted per path (status sequences, delays, Retry-After, redirects, connection
resets, 410).

Every wait is a poll with a deadline (`wait_until`), never a blind sleep; the
only sleeps are "nothing more happens for N seconds" checks.

Environment:
  HOOKBIRD_BIN   path to the server binary (default: .build/debug/hookbird,
                 relative paths are resolved against the repository root).
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Sequence

import sys

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hookbird_database import database_url  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = ".build/debug/hookbird"
HEALTH_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0
BINARY_WAIT_S = 120.0

# The flags every delivery test server gets unless a test overrides them: loopback receivers allowed, a short
# retry schedule, a short request timeout and a short overload floor, so retries happen within seconds.
FAST_FLAGS: dict[str, str | None] = {
    "--egress-allow": "127.0.0.0/8,::1/128",
    "--retry-schedule": "200ms,200ms,200ms",
    "--request-timeout": "1s",
    "--overload-delay": "300ms",
    "--shutdown-timeout": "5s",
}


# --------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.02, message: str = "") -> Any:
    """Polls predicate() until it returns something truthy; fails the test with `message` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.1f} s: {message or predicate}", pytrace=False)
        time.sleep(interval)


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 80) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no server log>"


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def iso_ago(seconds: float) -> str:
    return iso(datetime.now(timezone.utc) - timedelta(seconds=seconds))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --------------------------------------------------------------------------
# The receiver
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Respond:
    """Answer with `status` after `delay` seconds."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    delay: float = 0.0


@dataclasses.dataclass
class Reset:
    """Read the request, then close the socket with an RST and no response."""


@dataclasses.dataclass
class Stream:
    """Answer `status` at once, then trickle a chunked body: `chunk` every `interval` seconds for `duration` seconds."""

    status: int = 200
    chunk: bytes = b"y" * 1000
    duration: float = 5.0
    interval: float = 0.01


def redirect(location: str, status: int = 302) -> Respond:
    return Respond(status=status, body=b"", headers={"Location": location})


@dataclasses.dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names (last value wins)
    raw_headers: list[tuple[str, str]]
    body: bytes
    at: float  # time.monotonic() when the request was read
    wall: float  # time.time() when the request was read
    done_at: float | None = None  # when the answer was written (None: reset, or still in progress)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A scriptable webhook receiver on a free loopback port (IPv4 or IPv6).

    `script(path, *actions)`: answers the requests to `path` with the actions in order; the last one repeats.
    Paths without a script get 200 "ok".
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._lock = threading.Condition()
        self.requests: list[Received] = []
        self.connections = 0  # TCP connections accepted, requests or not
        self._scripts: dict[str, list[Any]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def setup(self) -> None:
                super().setup()
                with receiver._lock:
                    receiver.connections += 1

            def do_POST(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

            def do_PUT(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                record = Received(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    raw_headers=list(self.headers.items()),
                    body=body,
                    at=time.monotonic(),
                    wall=time.time(),
                )
                action = receiver._record_and_next_action(record)
                if isinstance(action, Reset):
                    self.close_connection = True
                    try:
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        self.connection.close()
                    except OSError:
                        pass
                    return
                if isinstance(action, Stream):
                    self._stream(action, record)
                    return
                assert isinstance(action, Respond)
                if action.delay:
                    time.sleep(action.delay)
                try:
                    self.send_response(action.status)
                    for name, value in action.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(action.body)))
                    self.end_headers()
                    self.wfile.write(action.body)
                    self.wfile.flush()
                except OSError:
                    return
                with receiver._lock:
                    record.done_at = time.monotonic()
                    receiver._lock.notify_all()

            def _stream(self, action: Stream, record: Received) -> None:
                self.close_connection = True
                try:
                    self.send_response(action.status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.flush()
                    until = time.monotonic() + action.duration
                    while time.monotonic() < until:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(action.chunk), action.chunk))
                        self.wfile.flush()
                        time.sleep(action.interval)
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    return
                with receiver._lock:
                    record.done_at = time.monotonic()
                    receiver._lock.notify_all()

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 256
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        self._server = Server((host, port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"receiver-{self.port}", daemon=True)
        self._thread.start()

    # -- scripting ---------------------------------------------------------

    def script(self, path: str, *actions: Any) -> None:
        with self._lock:
            self._scripts[path] = list(actions)

    def _record_and_next_action(self, record: Received) -> Any:
        with self._lock:
            self.requests.append(record)
            self._lock.notify_all()
            path = record.path.split("?", 1)[0]
            actions = self._scripts.get(path)
            if not actions:
                return Respond()
            return actions.pop(0) if len(actions) > 1 else actions[0]

    # -- inspection --------------------------------------------------------

    def url(self, path: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path.split("?", 1)[0] == path]

    def wait_for(self, path: str | None, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                got = [r for r in self.requests if path is None or r.path.split("?", 1)[0] == path]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"receiver got {len(got)} request(s) on {path or 'any path'} within {timeout:.1f} s, "
                        f"expected {count}",
                        pytrace=False,
                    )
                self._lock.wait(min(left, 0.1))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# --------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------


def binary_path() -> Path:
    raw = os.environ.get("HOOKBIRD_BIN", DEFAULT_BIN)
    path = Path(raw)
    if not path.is_absolute():
        path = REPO_ROOT / path
    # Others rebuild the binary now and then: wait a while if it is briefly missing.
    deadline = time.monotonic() + BINARY_WAIT_S
    while not (path.is_file() and os.access(path, os.X_OK)):
        if time.monotonic() > deadline:
            pytest.fail(f"hookbird binary not found at {path} (set HOOKBIRD_BIN)", pytrace=False)
        time.sleep(1)
    return path


class Hookbird:
    """One `hookbird serve` process plus a small API client for it."""

    def __init__(self, workdir: Path, flags: dict[str, str | None] | None = None, *, name: str = "hookbird",
                 db_path: Path | None = None, port: int | None = None, token: str | None = None) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db_path = db_path or workdir / f"{name}.sqlite"
        # SQLite: db_path; with HOOKBIRD_TEST_DATABASE=postgres, a new PostgreSQL database (kept across restarts).
        self.database = f"sqlite:{db_path}" if db_path else database_url(workdir, name)
        self.name = name
        self.port = port or free_port()
        self.token = token or "hbadmin_" + secrets.token_hex(16)
        self.flags = dict(FAST_FLAGS)
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
            str(binary_path()), "serve",
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
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKBIRD_")}
        env.setdefault("SWIFT_BACKTRACE", "enable=no")
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
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        last = "no attempt made"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"hookbird exited with code {self.process.returncode} before becoming healthy.\n"
                    f"--- server log ---\n{self.log_tail()}",
                    pytrace=False,
                )
            try:
                r = requests.get(f"{self.base_url}/api/v1/health", timeout=2)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill9()
        pytest.fail(f"hookbird not healthy within {HEALTH_TIMEOUT_S} s ({last})\n{self.log_tail()}", pytrace=False)

    def stop(self, timeout: float = SHUTDOWN_TIMEOUT_S) -> int | None:
        """SIGTERM and wait; the exit code, or None if it had to be killed."""
        proc = self.process
        if proc is None:
            return None
        if proc.poll() is not None:
            return proc.returncode
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
            return None

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

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
    """Starts servers for one test and always stops them afterwards."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.servers: list[Hookbird] = []

    def __call__(self, flags: dict[str, str | None] | None = None, *, start: bool = True, **kwargs: Any) -> Hookbird:
        server = Hookbird(self.tmp, flags, name=kwargs.pop("name", f"hookbird{len(self.servers)}"), **kwargs)
        self.servers.append(server)
        if start:
            server.start()
        return server

    def cleanup(self) -> None:
        for server in self.servers:
            if server.process is not None and server.process.poll() is None:
                if server.stop() is None:
                    server.kill9()
