"""The --database a test server is started with.

By default each server gets an SQLite file in its work directory. With
HOOKBIRD_TEST_DATABASE=postgres each server gets a new database on the
PostgreSQL server named by HOOKBIRD_TEST_POSTGRES_URL (scripts/test.sh starts a
throwaway one), dropped when the test process exits.
"""

from __future__ import annotations

import atexit
import os
import secrets
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_created: list[tuple[str, str]] = []


def backend() -> str:
    """`sqlite` or `postgres`."""
    return os.environ.get("HOOKBIRD_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"


def database_url(workdir: Path, name: str = "hookbird") -> str:
    """A --database value for one server (the same one across its restarts)."""
    if backend() != "postgres":
        return f"sqlite:{workdir / (name + '.sqlite')}"
    server = os.environ.get("HOOKBIRD_TEST_POSTGRES_URL")
    if not server:
        raise RuntimeError("HOOKBIRD_TEST_DATABASE=postgres needs HOOKBIRD_TEST_POSTGRES_URL "
                           "(e.g. from `bash scripts/pg-throwaway.sh start`)")
    return new_postgres_database(server)


def new_postgres_database(server: str) -> str:
    """Creates a new database on the PostgreSQL server `server` (a URL) and returns its URL; it is dropped when the
    test process exits. Several servers given the same URL share one database (tests/cluster)."""
    database = "hookbird_py_" + secrets.token_hex(6)
    _psql(server, f"CREATE DATABASE {database}")
    _created.append((server, database))
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def _psql(server: str, sql: str) -> None:
    subprocess.run(["psql", server, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)


@atexit.register
def _drop_created() -> None:
    for server, database in _created:
        try:
            _psql(server, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        except (OSError, subprocess.SubprocessError):
            pass
