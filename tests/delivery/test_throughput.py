"""Throttling, latency of new messages, and the delivery metrics."""

from __future__ import annotations

import re
import statistics
import time

from tests.support import Hookbird, Receiver, Respond, wait_until


def test_throttle_rate_is_enforced(hookbird: Hookbird, receiver: Receiver) -> None:
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/throttled"), throttleRate=2)
    assert ep.get("throttleRate") == 2
    ids = [hookbird.send(app, payload={"i": i})["id"] for i in range(6)]
    got = receiver.wait_for("/throttled", 6, timeout=10)
    span = got[-1].at - got[0].at
    arrivals = [round(r.at - got[0].at, 3) for r in got]
    print(f"\nthrottleRate 2: 6 arrivals at {arrivals} (span {span:.2f} s)")
    # A bucket of 2 lets two through at once, then one every 0.5 s: 2.0 s for 6 (minus request-latency noise).
    assert span >= 1.9, f"6 messages at 2/s arrived within {span:.2f} s: {arrivals}"
    gaps = [b.at - a.at for a, b in zip(got[1:], got[2:])]
    assert all(g >= 0.4 for g in gaps), f"after the burst of 2, arrivals closer than 0.5 s: {arrivals}"
    # No 1-second window holds more than rate + burst (2 + 2) arrivals.
    for r in got:
        window = [x for x in got if r.at <= x.at < r.at + 1.0]
        assert len(window) <= 4, arrivals
    assert sorted(r.header("webhook-id") for r in got) == sorted(ids)
    # Throttling postpones, it does not fail: one attempt per message, all successful.
    for msg in ids:
        attempts = hookbird.wait_attempts(app, msg, 1)
        time.sleep(0.05)
        attempts = hookbird.attempts_for_msg(app, msg)
        assert [a["status"] for a in attempts] == [0], (msg, attempts)


def test_new_message_latency_when_idle(hookbird: Hookbird, receiver: Receiver) -> None:
    app = hookbird.create_app()
    hookbird.create_endpoint(app, receiver.url("/fast"))
    hookbird.send(app, payload={"warmup": True})
    receiver.wait_for("/fast", 1)
    time.sleep(1.2)  # idle: the engine is asleep, waiting for work
    latencies = []
    for i in range(20):
        hookbird.send(app, payload={"i": i})
        acked = time.monotonic()
        got = receiver.wait_for("/fast", i + 2, timeout=5)[-1]
        latencies.append(got.at - acked)
        time.sleep(0.15)
    median = statistics.median(latencies)
    print(f"\nlatency 202 -> receipt over 20 messages: median {median * 1000:.1f} ms, "
          f"min {min(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")
    assert median < 0.5, latencies
    assert max(latencies) < 1.0, latencies


def metric(text: str, name: str, labels: str = "") -> float | None:
    pattern = re.compile(rf"^{re.escape(name)}(\{{[^}}]*\}})?\s+([0-9.eE+-]+|NaN)$", re.M)
    total = None
    for m in pattern.finditer(text):
        if labels and labels not in (m.group(1) or ""):
            continue
        total = (total or 0.0) + float(m.group(2))
    return total


def test_delivery_metrics(servers, receiver: Receiver) -> None:
    server = servers()
    receiver.script("/m-fail", Respond(500))
    app = server.create_app()
    server.create_endpoint(app, receiver.url("/m-ok"))
    server.create_endpoint(app, receiver.url("/m-fail"))
    msg = server.send(app)["id"]
    server.wait_attempts(app, msg, 5)  # 1 success + 4 failures
    def counted() -> str | None:
        text = server.metrics()
        return text if (metric(text, "hookbird_delivery_attempts_total", 'result="http_5xx"') or 0) >= 4 else None

    text = wait_until(counted, 5, message="attempt counters")
    assert metric(text, "hookbird_delivery_attempts_total", 'result="success"') == 1, text
    assert metric(text, "hookbird_delivery_attempts_total", 'result="http_5xx"') == 4
    assert metric(text, "hookbird_delivery_latency_seconds_count") == 1
    assert metric(text, "hookbird_delivery_latency_seconds_bucket", 'le="+Inf"') == 1
    assert metric(text, "hookbird_queue_depth") is not None
    assert metric(text, "hookbird_queue_oldest_due_age_seconds") is not None
    assert (metric(text, "hookbird_delivery_request_duration_seconds_count") or 0) >= 5
