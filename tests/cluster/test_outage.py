"""A database outage under two nodes: while PostgreSQL is down the API answers 503 JSON and acknowledges nothing,
the nodes keep running, and once it is back they accept messages again and deliver everything acknowledged.

The test starts a PostgreSQL server of its own (scripts/pg-throwaway.sh start), stops it as a crash would
(`kill`: pg_ctl stop -m immediate) and starts it again on the same data directory and port (`restart`), so no
other test's server is disturbed. It needs the PostgreSQL server binaries, like HOOKBIRD_TEST_POSTGRES_URL does.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import requests

from cluster_harness import Cluster
from tests.support import Hookbird, Receiver, Respond, wait_until
from test_cluster import LEASE_S, delivered_ids, post_message, psql, successes

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg-throwaway.sh"


def throwaway(verb: str, arg: str, state: Path) -> str:
    # Durable commits: with synchronous_commit off (the throwaway default) a killed server forgets the commits of
    # its last few hundred milliseconds, acknowledged messages included, which is the database's loss, not ours.
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "PG_THROWAWAY_STATE": str(state), "PG_THROWAWAY_DURABLE": "1"}
    result = subprocess.run(["bash", str(SCRIPT), verb, arg], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, f"pg-throwaway.sh {verb}: {result.stderr}"
    return result.stdout.strip()


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb") and not shutil.which("pg_config"):
        pytest.skip("no PostgreSQL server binaries (Debian's postgresql package) to start a throwaway server")
    state = tmp_path / "pg-state"
    url = throwaway("start", "", state)
    try:
        yield url, state
    finally:
        throwaway("stop", url, state)


def health(node: Hookbird) -> requests.Response:
    return requests.get(f"{node.base_url}/api/v1/health", timeout=20)


def test_database_outage_answers_503_and_loses_nothing(make_cluster, receiver: Receiver, own_postgres) -> None:
    url, state = own_postgres
    cluster: Cluster = make_cluster(url)
    # A slow receiver and few workers, so that a backlog of acknowledged messages is waiting when the database goes.
    receiver.script("/outage", Respond(200, b"ok", delay=0.1))
    a = cluster.node("all", {"--workers": "2"})
    b = cluster.node("all", {"--workers": "2"})
    app = a.create_app("outage")
    a.create_endpoint(app, receiver.url("/outage"))

    run = uuid.uuid4().hex
    acked: set[str] = set()
    for i in range(60):
        r = post_message((a, b)[i % 2], app, i, run)
        assert r.status_code == 202, r.text
        acked.add(r.json()["id"])
    wait_until(lambda: len(receiver.received("/outage")) >= 5, 30, message="deliveries started")

    throwaway("kill", url, state)
    down_at = time.monotonic()
    backlog = len(acked - set(delivered_ids(receiver, "/outage")))

    # While it is down: 503 JSON {code, detail} for writes and health; no 2xx for anything.
    for i, node in enumerate((a, b, a, b)):
        started = time.monotonic()
        r = post_message(node, app, 1000 + i, run)
        took = time.monotonic() - started
        assert r.status_code == 503, f"{node.name} answered {r.status_code} {r.text[:300]} while the database is down"
        body = r.json()
        assert body["code"] == "service_unavailable" and body["detail"], body
        assert took < 15, f"{node.name} took {took:.1f} s to answer 503"
        h = health(node)
        assert h.status_code == 503, h.text
        assert h.json()["database"] == "unavailable" and h.json()["code"] == "service_unavailable", h.text
    r = a.api("GET", f"/app/{app}/msg")
    assert r.status_code == 503 and r.json()["code"] == "service_unavailable", r.text
    time.sleep(3)  # the delivery engines keep failing to claim for a while
    for node in (a, b):
        assert node.process.poll() is None, f"{node.name} died while the database was down\n{node.log_tail()}"

    during = {node.name: successes(node) for node in (a, b)}  # /metrics needs no database
    throwaway("restart", url, state)
    up_at = time.monotonic()
    for node in (a, b):
        wait_until(lambda node=node: health(node).status_code == 200, 90, interval=0.2,
                   message=f"{node.name} healthy again after the database returned")
    recovered = time.monotonic() - up_at

    # New messages are accepted again, on both nodes.
    for i in range(20):
        r = post_message((a, b)[i % 2], app, 2000 + i, run)
        assert r.status_code == 202, r.text
        acked.add(r.json()["id"])

    # Everything acknowledged, before and after the outage, is delivered; deliveries in flight when the database
    # went away were sent but not recorded, so they come again when their leases run out (at least once).
    deadline = time.monotonic() + LEASE_S + 60
    while not acked <= set(delivered_ids(receiver, "/outage")):
        if time.monotonic() > deadline:
            missing = sorted(acked - set(delivered_ids(receiver, "/outage")))
            listed = ",".join(f"'{m}'" for m in missing)
            rows = psql(url, f"SELECT d.msg_id, d.status, d.attempt_count, d.next_attempt_at FROM messages m "
                             f"LEFT JOIN deliveries d ON d.msg_id = m.id WHERE m.id IN ({listed})")
            pytest.fail(f"{len(missing)} acknowledged messages never delivered: {missing[:5]}\n"
                        f"in the database (msg, status, attempts, due):\n{rows or '(none: the messages are gone)'}\n"
                        f"{a.log_tail(20)}", pytrace=False)
        time.sleep(0.2)
    counts = delivered_ids(receiver, "/outage")
    print(f"\noutage: {backlog} acknowledged messages waiting when the database went down "
          f"({up_at - down_at:.1f} s down); nodes healthy {recovered:.1f} s after it returned; "
          f"{len(acked)} acknowledged in all, {sum(counts.values())} deliveries received")
    # Both delivery engines work again: each delivers something after the outage. (A storage call that never
    # returns, say a claim sent on a connection the server dropped, is given up on after the engine's storage
    # timeout, so no node's delivery loop can stay blocked.)
    # New messages keep coming while waiting, one at a time, so that the node that delivered the backlog cannot take
    # all the work before the other one shows that it works.
    deadline = time.monotonic() + 60
    i = 0
    while time.monotonic() < deadline and not all(successes(node) > during[node.name] for node in (a, b)):
        r = post_message((a, b)[i % 2], app, 3000 + i, run)
        assert r.status_code == 202, r.text
        acked.add(r.json()["id"])
        i += 1
        time.sleep(0.5)
    stuck = [node.name for node in (a, b) if successes(node) <= during[node.name]]
    wait_until(lambda: acked <= set(delivered_ids(receiver, "/outage")), 60, message="the last messages delivered")
    logged = 0
    for node in (a, b):
        log = node.log_path.read_text(errors="replace")
        pauses = log.count("delivery pauses until the database answers again")
        assert pauses <= 1, f"{node.name} logged the outage {pauses} times (want once)\n{node.log_tail()}"
        if pauses:
            assert "delivery resumes" in log, node.log_tail()
        # The LISTEN connection that the outage broke is opened again (until then the engine polls).
        if "PostgreSQL listener failed" in log:
            assert log.rfind("PostgreSQL listener connected again") > log.find("PostgreSQL listener failed"), (
                f"{node.name}: the listener never reconnected\n{node.log_tail()}")
        logged += pauses
        assert node.stop() == 0, node.log_tail()
    assert logged >= 1, "no node logged the outage"
    assert not stuck, (f"the delivery loop of {stuck} delivered nothing after the outage "
                       f"(deliveries before the restart: {during})\n{a.log_tail(30)}\n{b.log_tail(30)}")
