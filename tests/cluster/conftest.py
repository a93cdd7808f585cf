"""Fixtures for the multi-node suite (tests/cluster): several real `hookbird serve` processes on one PostgreSQL
database, a real receiver, kill -9 of a node, and a database outage.

The nodes and the receiver (the shared `receiver` fixture) come from tests/support. The PostgreSQL server is the one
named by HOOKBIRD_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway one); without it every test that needs it is
skipped, and the reason is printed in the session header. The outage test starts a throwaway server of its own with
scripts/pg-throwaway.sh, so stopping it disturbs no other test.

    HOOKBIRD_TEST_POSTGRES_URL=$(bash scripts/pg-throwaway.sh start) \\
    HOOKBIRD_BIN=$PWD/.build/debug/hookbird python -m pytest -q -rs tests/cluster
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from cluster_harness import NO_POSTGRES, POSTGRES_URL, Cluster, require_postgres
from tests.support import new_postgres_database


def pytest_report_header(config: pytest.Config) -> str:
    if POSTGRES_URL:
        return f"tests/cluster: PostgreSQL at {POSTGRES_URL}"
    return f"tests/cluster: {NO_POSTGRES}; the multi-node tests are SKIPPED"


@pytest.fixture
def make_cluster(tmp_path: Path) -> Iterator[Callable[[str | None], Cluster]]:
    """make_cluster(database_url=None): a cluster on the given database, or on a new database of the PostgreSQL
    server of HOOKBIRD_TEST_POSTGRES_URL (skipped without one)."""
    made: list[Cluster] = []

    def make(database: str | None = None) -> Cluster:
        if database is None:
            database = new_postgres_database(require_postgres())
        cluster = Cluster(tmp_path / f"cluster{len(made)}", database)
        made.append(cluster)
        return cluster

    try:
        yield make
    finally:
        for cluster in made:
            cluster.cleanup()
