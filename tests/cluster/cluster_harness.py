"""What the multi-node suite (tests/cluster) shares: a cluster of real `hookbird serve` nodes on one PostgreSQL
database (see conftest.py for the fixtures). Kept out of conftest.py so that tests can import it: every suite's
conftest module is named `conftest`, so `from conftest import …` picks whichever suite's was imported first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import Hookbird

POSTGRES_URL = os.environ.get("HOOKBIRD_TEST_POSTGRES_URL", "").strip()
NO_POSTGRES = "no PostgreSQL: set HOOKBIRD_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway server)"


def require_postgres() -> str:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    return POSTGRES_URL


class Cluster:
    """Nodes of one Hookbird installation: every node gets the same --database and admin token."""

    def __init__(self, tmp: Path, database: str) -> None:
        self.tmp = tmp
        self.database = database
        self.token = None
        self.nodes: list[Hookbird] = []

    def node(self, role: str = "all", flags: dict[str, str | None] | None = None, start: bool = True) -> Hookbird:
        name = f"node{len(self.nodes)}-{role}"
        node = Hookbird(self.tmp, {"--role": role, **(flags or {})}, name=name, token=self.token)
        self.token = node.token
        node.database = self.database
        self.nodes.append(node)
        if start:
            node.start()
        return node

    def cleanup(self) -> None:
        for node in self.nodes:
            node.shut_down()
