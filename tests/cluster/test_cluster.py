"""Several `hookbird serve` processes on one PostgreSQL database (issue 5): they share the work, deliver each message
once while healthy, lose no acknowledged message when one is killed with kill -9, and split into api and worker
roles. The database outage test is in test_outage.py.

Lease arithmetic: a claim lasts --request-timeout + 30 s (DeliveryConfiguration.lease), so with the 1 s request
timeout of the fast flags a delivery held by a killed node is claimed again by a survivor within about 31 s.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from cluster_harness import Cluster
from tests.support import (DashboardClient, Hookbird, Listener, Receiver, Respond, binary_path, free_port,
                           wait_until)

LEASE_S = 1 + 30  # --request-timeout 1s (FAST_FLAGS) + 30 s
# A node's heartbeat runs out 10 s after it was last written (every 2 s): then the others free its leases.
NODE_LIFETIME_S = 10
HEARTBEAT_S = 2


def successes(node: Hookbird) -> float:
    """hookbird_delivery_attempts_total{result="success"} of one node (0 when it made none)."""
    total = 0.0
    for line in node.metrics().splitlines():
        if line.startswith("hookbird_delivery_attempts_total") and 'result="success"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def post_message(node: Hookbird, app: str, i: int, run: str) -> requests.Response:
    return requests.post(
        f"{node.base_url}/api/v1/app/{app}/msg",
        json={"eventType": "cluster.event", "payload": {"i": i}},
        headers={"Authorization": f"Bearer {node.token}", "idempotency-key": f"{run}-{i}"},
        timeout=20,
    )


def psql(database: str, sql: str) -> str:
    return subprocess.run(["psql", database, "-X", "-A", "-t", "-c", sql], check=True, capture_output=True,
                          text=True, timeout=30).stdout.strip()


def delivered_ids(receiver: Receiver, path: str) -> Counter:
    return Counter(r.header("webhook-id") for r in receiver.received(path))


def test_two_nodes_deliver_400_messages_exactly_once(make_cluster, receiver: Receiver) -> None:
    cluster: Cluster = make_cluster()
    receiver.script("/two", Respond(200, b"ok", delay=0.01))
    a = cluster.node("all", {"--workers": "8"})
    b = cluster.node("all", {"--workers": "8"})
    app = a.create_app("cluster")
    a.create_endpoint(app, receiver.url("/two"))

    total = 400
    run = uuid.uuid4().hex
    acked: dict[int, str] = {}
    failures: list[str] = []
    lock = threading.Lock()

    def post(i: int) -> None:
        node = (a, b)[i % 2]
        r = post_message(node, app, i, run)
        with lock:
            if r.status_code == 202:
                acked[i] = r.json()["id"]
            else:
                failures.append(f"{i} via {node.name}: HTTP {r.status_code} {r.text[:200]}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(post, range(total)))
    assert not failures, failures[:5]
    want = set(acked.values())
    assert len(want) == total

    wait_until(lambda: want <= set(delivered_ids(receiver, "/two")), 120, interval=0.1,
               message=f"all {total} messages delivered")
    time.sleep(1.0)  # nothing more arrives
    counts = delivered_ids(receiver, "/two")
    dupes = {k: n for k, n in counts.items() if n > 1}
    assert not dupes, f"{len(dupes)} messages delivered more than once: {list(dupes.items())[:5]}"
    assert set(counts) == want
    done_a, done_b = successes(a), successes(b)
    print(f"\ntwo nodes: {total} messages, {done_a:.0f} delivered by {a.name}, {done_b:.0f} by {b.name}")
    assert done_a > 0 and done_b > 0, f"one node did all the work: {done_a} / {done_b}"
    assert done_a + done_b == total


def test_kill9_of_one_node_loses_no_acknowledged_message(make_cluster, receiver: Receiver) -> None:
    cluster: Cluster = make_cluster()
    receiver.script("/kill", Respond(200, b"ok", delay=0.05))
    a = cluster.node("all", {"--workers": "4"})
    b = cluster.node("all", {"--workers": "4"})
    app = a.create_app("kill")
    ep = a.create_endpoint(app, receiver.url("/kill"))["id"]

    total = 300
    run = uuid.uuid4().hex
    acked: dict[int, str] = {}
    refused: list[str] = []
    lock = threading.Lock()

    def post(i: int) -> None:
        node = (a, b)[i % 2]
        try:
            r = post_message(node, app, i, run)
        except requests.RequestException as e:  # the killed node
            with lock:
                refused.append(f"{i} via {node.name}: {type(e).__name__}")
            return
        with lock:
            if r.status_code == 202:
                acked[i] = r.json()["id"]
            else:
                refused.append(f"{i} via {node.name}: HTTP {r.status_code}")

    pool = ThreadPoolExecutor(max_workers=4)
    futures = [pool.submit(post, i) for i in range(total)]
    wait_until(lambda: len(acked) >= total // 3 and len(receiver.received("/kill")) >= 20, 60, interval=0.005,
               message="a third acknowledged and some delivered")
    a.kill9()
    killed_at = time.monotonic()
    killed_at_us = int(time.time() * 1_000_000)
    for f in futures:
        f.result()
    pool.shutdown()
    # Claims made before the kill and still unfinished a moment later are the dead node's (the survivor finishes
    # its own within a fraction of a second): they wait until the dead node's heartbeat has run out.
    time.sleep(2)
    orphans = int(psql(cluster.database, f"SELECT count(*) FROM deliveries WHERE status = 3 AND updated_at <= {killed_at_us}"))
    assert b.process.poll() is None, f"the survivor died\n{b.log_tail()}"
    # Posting to the survivor still works; everything the killed node did not acknowledge goes there.
    for i in range(total):
        if i not in acked:
            r = post_message(b, app, i, run)
            assert r.status_code == 202, r.text
            acked[i] = r.json()["id"]
    want = set(acked.values())

    # Every acknowledged message reaches the receiver, and the survivor settles everything: what the killed node had
    # claimed (sent or not) is freed by the survivor when the dead node's heartbeat has run out (long before its
    # leases would), claimed again and recorded.
    wait_until(lambda: want <= set(delivered_ids(receiver, "/kill")), LEASE_S + 60, interval=0.2,
               message="every acknowledged message delivered")
    delivered = time.monotonic() - killed_at
    wait_until(lambda: b.settled(app, ep), LEASE_S + 30, interval=0.5,
               message="the survivor settled every delivery (the dead node's leases were freed)")
    settled = time.monotonic() - killed_at
    stats = b.stats(app, ep)
    time.sleep(0.5)
    counts = delivered_ids(receiver, "/kill")
    extra = sum(counts.values()) - len(counts)
    print(f"\nkill -9 of {a.name}: {len(want)} acknowledged, all received {delivered:.1f} s after the kill; "
          f"{orphans} deliveries were held by the dead node's leases; all settled by {b.name} {settled:.1f} s after "
          f"the kill ({stats}); {extra} redeliveries (at least once); {len(refused)} posts failed on the killed node "
          f"and were re-posted")
    if orphans:
        assert settled >= NODE_LIFETIME_S - HEARTBEAT_S - 1, "the dead node's claims were taken over while it looked alive"
        assert settled < LEASE_S - 5, "the dead node's claims waited for their leases to run out"
    assert stats["fail"] == 0
    # At least once: only what the killed node had sent and not yet recorded may come twice. That is at most its 4
    # workers' requests in flight plus the attempts whose response was in and whose success waited for the success
    # recorder's next transaction (a worker is freed when its response is in, up to `recordingLimit` = 4 × workers
    # waiting): 4 + 16. Everything it recorded must not come again.
    assert extra <= 4 + 16, {k: n for k, n in counts.items() if n > 1}


def test_a_node_stopped_with_sigterm_hands_back_what_it_holds(make_cluster, receiver: Receiver) -> None:
    """SIGTERM: the node finishes its requests in flight, then gives back the deliveries it claimed ahead and had not
    started, and removes its heartbeat row, before it exits; the other node sends them at once instead of waiting
    for the stopped node's heartbeat to run out (10 s) or its leases (31 s)."""
    cluster: Cluster = make_cluster()
    receiver.script("/handback", Respond(200, b"ok", delay=0.2))
    a = cluster.node("all", {"--workers": "2"})
    app = a.create_app("handback")
    a.create_endpoint(app, receiver.url("/handback"))
    run = uuid.uuid4().hex
    ids = {post_message(a, app, i, run).json()["id"] for i in range(40)}
    receiver.wait_for("/handback", 3, timeout=20)
    # A alone holds deliveries: its 2 in flight and those it claimed ahead (2 × its workers on PostgreSQL).
    held = int(psql(cluster.database, "SELECT count(*) FROM deliveries WHERE status = 3"))
    assert held > 2, f"{a.name} held {held} deliveries: none claimed ahead"
    b = cluster.node("all", {"--workers": "4"})

    assert a.stop() == 0, a.log_tail()
    stopped = time.monotonic()
    # Right after it exited: its row is gone, and no delivery is leased by a node that has none.
    assert psql(cluster.database, "SELECT count(*) FROM nodes") == "1", a.log_tail()
    orphans = psql(cluster.database, "SELECT count(*) FROM deliveries WHERE status = 3 "
                                     "AND (lease_node IS NULL OR lease_node NOT IN (SELECT id FROM nodes))")
    assert orphans == "0", f"{orphans} deliveries still leased by the stopped node\n{a.log_tail()}"

    wait_until(lambda: ids <= set(delivered_ids(receiver, "/handback")), 20, interval=0.1,
               message="every message delivered")
    took = time.monotonic() - stopped
    print(f"\n{a.name} held {held} deliveries when it was sent SIGTERM; {b.name} had all 40 delivered {took:.1f} s "
          f"after it exited")
    assert took < NODE_LIFETIME_S - HEARTBEAT_S, f"the handed-back deliveries waited {took:.1f} s"
    # Its requests in flight were finished and recorded before it left: nothing came twice.
    counts = delivered_ids(receiver, "/handback")
    assert sum(counts.values()) == len(ids), {k: n for k, n in counts.items() if n > 1}


def test_api_node_and_worker_node(make_cluster, receiver: Receiver) -> None:
    cluster: Cluster = make_cluster()
    api = cluster.node("api")
    worker = cluster.node("worker")
    app = api.create_app("roles")
    api.create_endpoint(app, receiver.url("/roles"))
    ids = {api.send(app, payload={"i": i})["id"] for i in range(20)}
    wait_until(lambda: ids <= set(delivered_ids(receiver, "/roles")), 30, interval=0.05,
               message="the worker delivered what the api node accepted")
    # The receiver records a request before the worker counts the attempt: wait for the count.
    wait_until(lambda: successes(worker) == 20, 10, interval=0.05, message="the worker counted 20 successes")
    assert successes(api) == 0

    # The worker serves health and metrics only.
    assert requests.get(f"{worker.base_url}/api/v1/health", timeout=5).json() == {"status": "ok", "database": "ok"}
    r = worker.api("GET", "/app")
    assert r.status_code == 404 and r.json()["code"] == "not_found", r.text
    assert requests.get(f"{worker.base_url}/dashboard", timeout=5).status_code == 404


def test_worker_role_is_refused_on_sqlite(tmp_path) -> None:
    result = subprocess.run(
        [str(binary_path()), "serve", "--role", "worker", "--port", str(free_port()),
         "--database", f"sqlite:{tmp_path / 'w.sqlite'}", "--admin-token", "hbadmin_x"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode != 0
    assert "--role worker needs a PostgreSQL --database" in result.stderr + result.stdout


def test_unknown_role_is_refused(tmp_path) -> None:
    result = subprocess.run(
        [str(binary_path()), "serve", "--role", "everything", "--port", str(free_port()),
         "--database", f"sqlite:{tmp_path / 'w.sqlite'}"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode != 0
    assert re.search(r"--role must be api, worker or all", result.stderr + result.stdout)


def test_help_mentions_roles() -> None:
    out = subprocess.run([str(binary_path()), "serve", "--help"], capture_output=True, text=True, timeout=30).stdout
    assert "--role" in out and "HOOKBIRD_ROLE" in out


def test_throttle_rate_holds_across_nodes(make_cluster, receiver: Receiver) -> None:
    """An endpoint's throttleRate is one budget for the whole cluster (the buckets live in the database), not one
    per node: 25 messages at 5 per second (5 saved up) take at least 4 s however many nodes send them."""
    cluster: Cluster = make_cluster()
    a = cluster.node("all")
    b = cluster.node("all")
    app = a.create_app("throttle")
    a.create_endpoint(app, receiver.url("/throttle"), throttleRate=5)
    ids = set()
    for i in range(25):
        ids.add((a, b)[i % 2].send(app, payload={"i": i})["id"])
    wait_until(lambda: ids <= set(delivered_ids(receiver, "/throttle")), 60, interval=0.05,
               message="every throttled message delivered")
    times = sorted(r.at for r in receiver.received("/throttle"))
    span = times[-1] - times[0]
    print(f"\nthrottle: 25 messages at 5/s over two nodes took {span:.2f} s "
          f"({successes(a):.0f} sent by {a.name}, {successes(b):.0f} by {b.name})")
    # (25 - 5) / 5 = 4 s at one budget; two budgets of 5/s would finish in about 2 s.
    assert span >= 3.5, f"25 messages at 5/s took only {span:.2f} s: the nodes throttle separately"


def test_a_dashboard_session_works_on_every_node(make_cluster, receiver: Receiver) -> None:
    """Behind a balancer without sticky sessions: signed in on one node, the next request lands on another."""
    cluster: Cluster = make_cluster()
    a, b = cluster.node(), cluster.node()
    app = a.create_app("dashboard")
    endpoint = a.create_endpoint(app, receiver.url("/dash"))
    page = f"/dashboard/apps/{app}/endpoints/{endpoint['id']}"
    client = DashboardClient(a)
    r = client.sign_in(a.token)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/apps", r.text

    client.base = b.base_url  # the cookie goes along: cookies are not scoped by port
    r = client.submit(page, f"{page}/disable")
    assert r.status_code == 303 and r.headers["location"] == page
    assert a.endpoint(app, endpoint["id"])["disabled"] is True
    client.base = a.base_url
    assert "Endpoint disabled." in client.get(page).text  # the notice set on b, shown by a

    assert client.submit(page, "/dashboard/logout").status_code == 303
    client.base = b.base_url
    r = client.get(page)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"


def test_a_listener_gets_its_webhooks_from_the_node_it_is_connected_to(make_cluster, receiver: Receiver) -> None:
    """`hookbird listen` connected to one node: the other node accepts messages but leaves their deliveries to the
    listener's node, so each webhook arrives on its first attempt (no "listener not connected" failures)."""
    cluster: Cluster = make_cluster()
    a, b = cluster.node(), cluster.node()
    app = a.create_app("listen")
    listener = Listener(a, app, receiver.url("/listened"), name=f"cluster-{uuid.uuid4().hex[:8]}").start()
    try:
        endpoint = a.api("GET", f"/app/{app}/endpoint/{listener.name}", 200).json()
        sent = [node.send(app, payload={"i": i})["id"] for i in range(20) for node in (a, b)]
        got = receiver.wait_for("/listened", len(sent), timeout=30)
        assert sorted(r.header("webhook-id") for r in got) == sorted(sent)

        def recorded() -> list[dict] | None:
            attempts = a.attempts_for_endpoint(app, endpoint["id"])
            return attempts if len(attempts) >= len(sent) else None

        attempts = wait_until(recorded, 10, interval=0.1, message="every attempt recorded")
        failed = [x for x in attempts if x["status"] != 0]
        assert not failed, f"{len(failed)} attempts failed, e.g. {failed[0]}"
        assert len(attempts) == len(sent)
    finally:
        listener.stop()
