"""Shared fixtures for the end-to-end suite.

One real `hookbird serve` process is started per test session, on a free
loopback port, with a throw-away SQLite database and a random admin token.
Every test talks to it over HTTP, either through the official `svix` Python
SDK or through plain `requests`.

Environment:
  HOOKBIRD_BIN   path to the server binary (default: .build/debug/hookbird,
                 relative paths are resolved against the repository root).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator

import sys

import pytest
import requests
from svix import Svix, SvixOptions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hookbird_database import database_url  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = ".build/debug/hookbird"
HEALTH_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0


@dataclasses.dataclass
class HookbirdServer:
    base_url: str
    token: str
    svix: Svix
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "<no server log>"
        return "\n".join(text.splitlines()[-lines:])


def _binary_path() -> Path:
    raw = os.environ.get("HOOKBIRD_BIN", DEFAULT_BIN)
    path = Path(raw)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no server log>"


def _wait_for_health(proc: subprocess.Popen, base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    last_error = "no attempt made"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"hookbird exited with code {proc.returncode} before becoming healthy.\n"
                f"--- server log ---\n{_tail(log_path)}",
                pytrace=False,
            )
        try:
            r = requests.get(f"{base_url}/api/v1/health", timeout=2)
            if r.status_code == 200:
                return
            last_error = f"HTTP {r.status_code}: {r.text[:200]}"
        except requests.RequestException as e:
            last_error = repr(e)
        time.sleep(0.1)
    pytest.fail(
        f"hookbird did not answer 200 on /api/v1/health within {HEALTH_TIMEOUT_S:.0f} s "
        f"(last: {last_error}).\n--- server log ---\n{_tail(log_path)}",
        pytrace=False,
    )


def _stop(proc: subprocess.Popen) -> int | None:
    """SIGTERM, wait; returns the exit code, or None if it had to be killed."""
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
        return None


@pytest.fixture(scope="session")
def hookbird(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookbirdServer]:
    binary = _binary_path()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(
            f"hookbird binary not found at {binary} (set HOOKBIRD_BIN or run `swift build`)",
            pytrace=False,
        )

    workdir = tmp_path_factory.mktemp("hookbird")
    database = database_url(workdir)
    log_path = workdir / "server.log"
    port = _free_port()
    token = "hbadmin_" + secrets.token_hex(16)
    base_url = f"http://127.0.0.1:{port}"

    cmd = [
        str(binary),
        "serve",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--database", database,
        "--admin-token", token,
        "--jwt-secret", secrets.token_hex(32),
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    try:
        _wait_for_health(proc, base_url, log_path)
    except BaseException:
        _stop(proc)
        raise

    client = Svix(token, SvixOptions(server_url=base_url, retry_schedule=[]))
    server = HookbirdServer(
        base_url=base_url, token=token, svix=client, process=proc, log_path=log_path
    )
    yield server

    code = _stop(proc)
    if code is None:
        pytest.fail(
            f"hookbird did not exit within {SHUTDOWN_TIMEOUT_S:.0f} s of SIGTERM (killed).\n"
            f"--- server log ---\n{_tail(log_path)}",
            pytrace=False,
        )
    if code != 0:
        pytest.fail(
            f"hookbird exited with code {code} after SIGTERM (expected 0).\n"
            f"--- server log ---\n{_tail(log_path)}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def svix_client(hookbird: HookbirdServer) -> Svix:
    return hookbird.svix


@pytest.fixture(scope="session")
def base_url(hookbird: HookbirdServer) -> str:
    return hookbird.base_url


@pytest.fixture(scope="session")
def admin_token(hookbird: HookbirdServer) -> str:
    return hookbird.token


@pytest.fixture
def http(hookbird: HookbirdServer) -> Iterator[requests.Session]:
    """A plain requests session that sends the admin token."""
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {hookbird.token}"
        yield s


@pytest.fixture
def unique():
    """unique("acme") -> "acme-1f2e3d4c5b": names/uids that never clash across tests."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    return make
