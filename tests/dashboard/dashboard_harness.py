"""Helpers for the dashboard suite (tests/dashboard).

The server process, the webhook receiver and `DashboardClient` (a cookie-keeping client of the dashboard) are the
shared ones (tests/support): a real `hookbird serve` on a free loopback port with a throw-away SQLite file (or, with
HOOKBIRD_TEST_DATABASE=postgres, a new PostgreSQL database), `--admin-token`, and here also `--jwt-secret` (for
app-scoped tokens), delivering to a threading `http.server` receiver.
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

from tests.support import Hookbird, binary_path

JWT_SECRET = secrets.token_hex(32)


def start_server(workdir: Path) -> Hookbird:
    return Hookbird(workdir, {"--jwt-secret": JWT_SECRET}, name="dashboard").start()


def app_token(app_id: str) -> str:
    """A JWT scoped to one application, made by `hookbird token create`."""
    r = subprocess.run([str(binary_path()), "token", "create", "--jwt-secret", JWT_SECRET, "--app", app_id],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()
