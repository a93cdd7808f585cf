"""One customer's slow endpoint must not delay everyone else's webhooks (issue 22).

Application A's endpoint answers every request after 10 s; 200 messages go to A, then, half a second later, 20 to
application B, whose endpoint answers at once. Before the per-endpoint limit, A's requests held every worker and B's
webhooks arrived 28-29 s late; now A gets at most its limit of workers and B's arrive at once. Then A's 200 are all
delivered, each once.

The server runs 128 workers and a limit of 100 per endpoint, so that A's 200 take two rounds of 10 s (with 32
workers and 16 per endpoint they would take 13 rounds, two minutes); without the limit A's 200 would hold all 128
workers just the same.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from tests.support import Hookbird, Receiver, Respond, wait_until

SLOW_S = 10.0
FLAGS = {"--workers": "128", "--endpoint-max-in-flight": "100", "--request-timeout": "15s"}


def test_a_slow_endpoint_does_not_delay_another_application(servers, receiver: Receiver) -> None:
    hb: Hookbird = servers(FLAGS)
    receiver.script("/slow", Respond(200, b"ok", delay=SLOW_S))
    a = hb.create_app("slow-tenant")
    b = hb.create_app("fast-tenant")
    slow_ep = hb.create_endpoint(a, receiver.url("/slow"))["id"]
    hb.create_endpoint(b, receiver.url("/fast"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        a_ids = list(pool.map(lambda i: hb.send(a, payload={"i": i})["id"], range(200)))
    time.sleep(0.5)
    sent_at: dict[str, float] = {}
    for i in range(20):
        before = time.monotonic()
        sent_at[hb.send(b, payload={"i": i})["id"]] = before

    got = receiver.wait_for("/fast", 20, timeout=30)
    delays = sorted(r.at - sent_at[r.header("webhook-id")] for r in got)
    print(f"\nB's 20 webhooks arrived {delays[0]:.2f}-{delays[-1]:.2f} s after being sent "
          f"(median {statistics.median(delays):.2f} s) while A's endpoint took {SLOW_S:.0f} s per request")
    assert delays[-1] < 5.0, f"B waited behind A: {[round(d, 2) for d in delays]}"

    # A's state shows in its stats (Hookbird's extension) and in the metrics while its first 100 are in flight.
    stats = hb.stats(a, slow_ep)
    assert stats["inFlight"] == 100 and stats["inFlightLimit"] == 100, stats
    assert stats["waitingForSlot"] + stats["pending"] >= 90, stats
    assert stats["timeoutsInARow"] == 0, stats
    wait_until(lambda: f'hookbird_endpoint_inflight{{endpoint="{slow_ep}"}} 100' in hb.metrics(), 8,
               interval=0.5, message="hookbird_endpoint_inflight of A's endpoint")
    assert "hookbird_delivery_slot_wait_seconds" in hb.metrics()

    # A's 200 are all delivered, each once: two rounds of 100 in flight, 10 s each.
    wait_until(lambda: len(receiver.received("/slow")) >= 200, 3 * SLOW_S + 30, interval=0.5,
               message="A's 200 delivered")
    time.sleep(0.5)
    ids = [r.header("webhook-id") for r in receiver.received("/slow")]
    assert sorted(ids) == sorted(a_ids), "each of A's messages delivered once"
    # A never had more than its limit in flight.
    peak = receiver.peak_in_flight("/slow", assumed_duration=SLOW_S)
    print(f"A's requests in flight at most: {peak}")
    assert peak <= 100, peak
    # Every delivery started records how long it waited for a worker and its endpoint's slot.
    counts = [line.split()[-1] for line in hb.metrics().splitlines()
              if line.startswith("hookbird_delivery_slot_wait_seconds_count")]
    assert counts and float(counts[0]) >= 220, counts
