"""One customer's slow endpoint must not delay everyone else's webhooks, on two nodes sharing one PostgreSQL
(issue 22; tests/delivery/test_isolation.py is the one-node version).

The limit of requests in flight per endpoint is kept per node: a shared count would cost every request a write to
the database on start and end. Here each node runs 64 workers and 40 per endpoint: A's 200 messages, whose endpoint
answers after 10 s, would hold every worker of both nodes without the limit; with it, B's 20 messages arrive at once,
and A's 200 are delivered in three rounds of 80 (40 per node).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from cluster_harness import Cluster
from tests.support import DashboardClient, Receiver, Respond, wait_until

SLOW_S = 10.0
FLAGS = {"--workers": "64", "--endpoint-max-in-flight": "40", "--request-timeout": "15s"}


def test_a_slow_endpoint_does_not_delay_another_application_on_two_nodes(make_cluster, receiver: Receiver) -> None:
    cluster: Cluster = make_cluster()
    receiver.script("/slow", Respond(200, b"ok", delay=SLOW_S))
    nodes = [cluster.node("all", FLAGS), cluster.node("all", FLAGS)]
    a = nodes[0].create_app("slow-tenant")
    b = nodes[0].create_app("fast-tenant")
    slow_ep = nodes[0].create_endpoint(a, receiver.url("/slow"))["id"]
    nodes[0].create_endpoint(b, receiver.url("/fast"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        a_ids = list(pool.map(lambda i: nodes[i % 2].send(a, payload={"i": i})["id"], range(200)))
    time.sleep(0.5)
    sent_at: dict[str, float] = {}
    for i in range(20):
        before = time.monotonic()
        sent_at[nodes[i % 2].send(b, payload={"i": i})["id"]] = before

    got = receiver.wait_for("/fast", 20, timeout=30)
    delays = sorted(r.at - sent_at[r.header("webhook-id")] for r in got)
    print(f"\ntwo nodes: B's 20 webhooks arrived {delays[0]:.2f}-{delays[-1]:.2f} s after being sent "
          f"(median {statistics.median(delays):.2f} s) while A's endpoint took {SLOW_S:.0f} s per request")
    assert delays[-1] < 5.0, f"B waited behind A: {[round(d, 2) for d in delays]}"

    # Each node's engine holds A to 40 in flight: its stats and its dashboard page say so.
    for node in nodes:
        stats = node.stats(a, slow_ep)
        assert stats["inFlight"] == 40 and stats["inFlightLimit"] == 40, (node.name, stats)
    client = DashboardClient(nodes[0])
    assert client.sign_in(nodes[0].token).status_code == 303
    page = client.get(f"/dashboard/apps/{a}/endpoints/{slow_ep}").text
    assert "40 of 40 in flight" in page, page[:2000]

    wait_until(lambda: len(receiver.received("/slow")) >= 200, 4 * SLOW_S + 30, interval=0.5,
               message="A's 200 delivered")
    time.sleep(0.5)
    counts = Counter(r.header("webhook-id") for r in receiver.received("/slow"))
    assert sorted(counts) == sorted(a_ids) and max(counts.values()) == 1, "each of A's messages delivered once"
    peak = receiver.peak_in_flight("/slow", assumed_duration=SLOW_S)
    print(f"A's requests in flight at most, both nodes together: {peak}")
    assert peak <= 80, peak
