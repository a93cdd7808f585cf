"""Outcomes and retries: 5xx sequences, Retry-After, 410, timeouts, 429, resets, redirects."""

from __future__ import annotations

import time

import standardwebhooks

from delivery_harness import iso_ago
from tests.support import Hookbird, Receiver, Reset, Respond, Stream, redirect, wait_until


def settle(seconds: float) -> None:
    """Nothing-more-happens window: the only fixed sleeps in the suite."""
    time.sleep(seconds)


def test_500_503_then_200_three_attempts_same_id(servers, receiver: Receiver) -> None:
    # 1.3 s base (±20 % → ≥ 1.04 s) so every attempt falls in a new second and gets its own webhook-timestamp.
    server = servers({"--retry-schedule": "1300ms,1300ms,1300ms"})
    big = b"x" * 30_000
    receiver.script("/flaky", Respond(500, big), Respond(503, b"busy"), Respond(200, b"finally"))
    app = server.create_app()
    ep = server.create_endpoint(app, receiver.url("/flaky"))["id"]
    secret = server.secret(app, ep)
    msg = server.send(app, payload={"retry": True})["id"]

    got = receiver.wait_for("/flaky", 3, timeout=10)
    attempts = server.wait_attempts(app, msg, 3)
    assert [a["responseStatusCode"] for a in attempts] == [500, 503, 200]
    assert [a["status"] for a in attempts] == [2, 2, 0]
    assert [a["statusText"] for a in attempts] == ["fail", "fail", "success"]
    assert all(a["triggerType"] == 0 for a in attempts)
    assert all(a["endpointId"] == ep and a["msgId"] == msg for a in attempts)
    assert all(a["url"] == receiver.url("/flaky") for a in attempts)
    # The response body is kept, at most 20 000 bytes of it.
    assert len(attempts[0]["response"]) == 20_000 and set(attempts[0]["response"]) == {"x"}
    assert attempts[1]["response"] == "busy" and attempts[2]["response"] == "finally"

    # Same webhook-id on every try, a new timestamp each time, and each try verifies on its own.
    assert {r.header("webhook-id") for r in got} == {msg}
    stamps = [int(r.header("webhook-timestamp")) for r in got]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3, stamps
    for r in got:
        standardwebhooks.Webhook(secret).verify(r.body, r.headers)
    gaps = [b.at - a.at for a, b in zip(got, got[1:])]
    assert all(1.0 <= g <= 2.5 for g in gaps), gaps

    stats = server.stats(app, ep)
    # Stats count attempts that succeeded or failed, and deliveries still pending or in flight.
    assert stats["success"] == 1 and stats["fail"] == 2 and stats["pending"] == 0 and stats["sending"] == 0, stats
    settle(1.0)
    assert len(receiver.received("/flaky")) == 3


def test_retry_after_is_honoured_but_clamped(hookbird: Hookbird, receiver: Receiver) -> None:
    # Schedule base 200 ms: Retry-After 10 s is clamped to 2 × 200 ms; Retry-After 0 is raised to the base delay.
    receiver.script("/ra", Respond(503, b"later", {"Retry-After": "10"}), Respond(200))
    receiver.script("/ra0", Respond(503, b"now", {"Retry-After": "0"}), Respond(200))
    app = hookbird.create_app()
    hookbird.create_endpoint(app, receiver.url("/ra"))
    hookbird.create_endpoint(app, receiver.url("/ra0"))
    msg = hookbird.send(app)["id"]
    a, b = receiver.wait_for("/ra", 2, timeout=5)
    c, d = receiver.wait_for("/ra0", 2, timeout=5)
    assert 0.19 <= b.at - a.at <= 1.5, f"Retry-After 10 with base 200 ms waited {b.at - a.at:.3f} s"
    assert d.at - c.at >= 0.15, f"Retry-After 0 waited only {d.at - c.at:.3f} s"
    assert [x["status"] for x in hookbird.wait_attempts(app, msg, 4)].count(0) == 2


def test_410_disables_endpoint_then_replay_missing_after_reenable(hookbird: Hookbird, receiver: Receiver) -> None:
    receiver.script("/gone", Respond(410, b"gone"))
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/gone"))["id"]
    m1 = hookbird.send(app, payload={"n": 1})["id"]

    receiver.wait_for("/gone", 1)
    wait_until(lambda: hookbird.endpoint(app, ep).get("disabled") is True, 5, message="endpoint disabled after 410")
    attempts = hookbird.wait_attempts(app, m1, 1)
    assert attempts[0]["responseStatusCode"] == 410 and attempts[0]["status"] == 2

    m2 = hookbird.send(app, payload={"n": 2})["id"]  # sent while disabled
    settle(1.0)
    assert len(receiver.received("/gone")) == 1, "410 was retried or a disabled endpoint got a message"
    assert len(hookbird.attempts_for_msg(app, m1)) == 1
    assert hookbird.attempts_for_msg(app, m2) == []

    # Re-enable, make it healthy, replay what it missed: m2 only (m1 was attempted, that is recover's job).
    receiver.script("/gone", Respond(200))
    hookbird.api("PATCH", f"/app/{app}/endpoint/{ep}", 200, json={"disabled": False})
    assert hookbird.endpoint(app, ep)["disabled"] is False
    r = hookbird.api("POST", f"/app/{app}/endpoint/{ep}/replay-missing", 202, json={"since": iso_ago(120)})
    body = r.json()
    assert body.get("id", "").startswith("qtask_"), body
    got = receiver.wait_for("/gone", 2)
    assert got[1].header("webhook-id") == m2
    replayed = hookbird.wait_attempts(app, m2, 1)
    assert replayed[0]["status"] == 0 and replayed[0]["triggerType"] == 1
    settle(0.8)
    assert [x.header("webhook-id") for x in receiver.received("/gone")] == [m1, m2]

    # Replaying again finds nothing missing.
    again = hookbird.api("POST", f"/app/{app}/endpoint/{ep}/replay-missing", 202, json={"since": iso_ago(120)}).json()
    if "count" in again:
        assert again["count"] == 0, again


def test_410_cancels_pending_deliveries(hookbird: Hookbird, receiver: Receiver) -> None:
    # First request fails with 500 (its retry is pending), every later one gets 410.
    receiver.script("/gone2", Respond(500), Respond(410))
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/gone2"))["id"]
    hookbird.send(app, payload={"n": 1})
    receiver.wait_for("/gone2", 1)
    hookbird.send(app, payload={"n": 2})
    receiver.wait_for("/gone2", 2)
    wait_until(lambda: hookbird.endpoint(app, ep).get("disabled") is True, 5, message="disabled after 410")
    settle(1.0)
    assert len(receiver.received("/gone2")) == 2, [r.header("webhook-id") for r in receiver.received("/gone2")]
    stats = hookbird.stats(app, ep)
    assert stats["pending"] == 0 and stats["sending"] == 0, stats
    # Two failed attempts (the 500 and the 410); the 500's pending retry was cancelled.
    assert stats["canceled"] == 1 and stats["fail"] == 2, stats

    # Re-enabled and healthy: recover re-sends both the failed and the cancelled message, once each.
    receiver.script("/gone2", Respond(200))
    hookbird.api("PATCH", f"/app/{app}/endpoint/{ep}", 200, json={"disabled": False})
    task = hookbird.api("POST", f"/app/{app}/endpoint/{ep}/recover", 202, json={"since": iso_ago(120)}).json()
    if "count" in task:
        assert task["count"] == 2, task
    got = receiver.wait_for("/gone2", 4)
    assert len({r.header("webhook-id") for r in got[2:]}) == 2
    settle(0.6)
    assert len(receiver.received("/gone2")) == 4
    wait_until(lambda: hookbird.stats(app, ep)["success"] == 2, 5, message="both recovered")


def test_timeout_and_429_wait_at_least_overload_delay(servers, receiver: Receiver) -> None:
    server = servers({"--request-timeout": "1s", "--overload-delay": "1500ms", "--retry-schedule": "200ms,200ms"})
    receiver.script("/hang", Respond(200, delay=3.0), Respond(200))
    receiver.script("/429", Respond(429, b"slow down"), Respond(200))
    app = server.create_app()
    server.create_endpoint(app, receiver.url("/hang"))
    m_hang = server.send(app, "hang.event")["id"]
    app2 = server.create_app()
    server.create_endpoint(app2, receiver.url("/429"))
    m_429 = server.send(app2, "slow.event")["id"]

    first, second = receiver.wait_for("/hang", 2, timeout=10)
    attempts = server.wait_attempts(app, m_hang, 2)
    assert attempts[0]["responseStatusCode"] == 0 and attempts[0]["status"] == 2
    assert "time" in attempts[0]["response"].lower(), attempts[0]["response"]
    assert 900 <= attempts[0]["responseDurationMs"] <= 2500, attempts[0]["responseDurationMs"]
    assert attempts[1]["status"] == 0
    # 1 s timeout + at least 1.5 s overload delay (the 200 ms schedule alone would retry after ~1.2 s). Measured on
    # the server's own attempt start times: the receiver's arrival times shift with thread scheduling under load.
    from datetime import datetime

    starts = [datetime.fromisoformat(a["timestamp"].replace("Z", "+00:00")) for a in attempts[:2]]
    gap = (starts[1] - starts[0]).total_seconds()
    assert gap >= 2.45, f"retry after a timeout came {gap:.2f} s after the first try"
    assert second.at - first.at >= 2.0

    a, b = receiver.wait_for("/429", 2, timeout=10)
    assert b.at - a.at >= 1.45, f"retry after 429 came {b.at - a.at:.2f} s later"
    assert [x["responseStatusCode"] for x in server.wait_attempts(app2, m_429, 2)] == [429, 200]


def test_connection_reset_is_a_failed_attempt_and_retried(hookbird: Hookbird, receiver: Receiver) -> None:
    receiver.script("/reset", Reset(), Respond(200))
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/reset"))["id"]
    msg = hookbird.send(app)["id"]
    got = receiver.wait_for("/reset", 2)
    assert {r.header("webhook-id") for r in got} == {msg}
    attempts = hookbird.wait_attempts(app, msg, 2)
    assert attempts[0]["responseStatusCode"] == 0 and attempts[0]["status"] == 2
    assert attempts[0]["response"], "a reset attempt should say what went wrong"
    assert attempts[1]["responseStatusCode"] == 200 and attempts[1]["status"] == 0
    assert hookbird.stats(app, ep)["success"] == 1


def test_redirect_is_a_failure_and_not_followed(hookbird: Hookbird, receiver: Receiver) -> None:
    receiver.script("/redir", redirect(receiver.url("/target"), 302))
    receiver.script("/redir301", redirect(receiver.url("/target"), 301))
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/redir"))["id"]
    ep301 = hookbird.create_endpoint(app, receiver.url("/redir301"))["id"]
    msg = hookbird.send(app)["id"]
    # Schedule of three retries: four attempts, all 3xx, then the delivery is failed.
    receiver.wait_for("/redir", 4, timeout=8)
    receiver.wait_for("/redir301", 4, timeout=8)
    attempts = hookbird.wait_attempts(app, msg, 8)
    assert sorted(a["responseStatusCode"] for a in attempts) == [301] * 4 + [302] * 4
    assert all(a["status"] == 2 for a in attempts)
    wait_until(lambda: hookbird.settled(app, ep), 5, message="302 delivery failed")
    wait_until(lambda: hookbird.settled(app, ep301), 5, message="301 delivery failed")
    settle(0.6)
    assert receiver.received("/target") == [], "a redirect was followed"
    assert len(receiver.received("/redir")) == 4


def test_connection_refused_is_a_failed_attempt(hookbird: Hookbird) -> None:
    from tests.support import free_port

    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, f"http://127.0.0.1:{free_port()}/nobody")["id"]
    msg = hookbird.send(app)["id"]
    attempts = hookbird.wait_attempts(app, msg, 4)
    assert all(a["status"] == 2 and a["responseStatusCode"] == 0 and a["response"] for a in attempts), attempts
    wait_until(lambda: hookbird.settled(app, ep), 5, message="refused delivery failed")


def test_non_utf8_response_body_is_stored_as_base64(hookbird: Hookbird, receiver: Receiver) -> None:
    receiver.script("/binary", Respond(200, b"\xff\xfe\x00\x01"))
    app = hookbird.create_app()
    hookbird.create_endpoint(app, receiver.url("/binary"))
    msg = hookbird.send(app)["id"]
    attempt = hookbird.wait_attempts(app, msg, 1)[0]
    assert attempt["status"] == 0
    assert attempt["response"] == "//4AAQ==", attempt["response"]


def test_retry_goes_to_the_endpoints_current_url(hookbird: Hookbird, receiver: Receiver) -> None:
    receiver.script("/old", Respond(500, b"old", delay=0.5))
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/old"))["id"]
    msg = hookbird.send(app)["id"]
    receiver.wait_for("/old", 1)
    hookbird.api("PATCH", f"/app/{app}/endpoint/{ep}", 200, json={"url": receiver.url("/new")})
    got = receiver.wait_for("/new", 1)[0]
    assert got.header("webhook-id") == msg
    attempts = hookbird.wait_attempts(app, msg, 2)
    assert [a["url"] for a in attempts] == [receiver.url("/old"), receiver.url("/new")]
    settle(0.5)
    assert len(receiver.received("/old")) == 1


def test_deleting_or_disabling_an_endpoint_stops_its_retries(hookbird: Hookbird, receiver: Receiver) -> None:
    receiver.script("/del", Respond(500, delay=0.3))
    receiver.script("/off", Respond(500, delay=0.3))
    app = hookbird.create_app()
    ep_del = hookbird.create_endpoint(app, receiver.url("/del"))["id"]
    ep_off = hookbird.create_endpoint(app, receiver.url("/off"))["id"]
    hookbird.send(app)
    receiver.wait_for("/del", 1)
    receiver.wait_for("/off", 1)
    hookbird.api("DELETE", f"/app/{app}/endpoint/{ep_del}", 204)
    hookbird.api("PATCH", f"/app/{app}/endpoint/{ep_off}", 200, json={"disabled": True})
    settle(1.5)
    assert len(receiver.received("/del")) == 1, "a deleted endpoint was retried"
    assert len(receiver.received("/off")) == 1, "a disabled endpoint was retried"
    stats = hookbird.stats(app, ep_off)
    assert stats["pending"] == 0 and stats["sending"] == 0, stats


def test_resend_to_disabled_endpoint_sends_nothing(hookbird: Hookbird, receiver: Receiver) -> None:
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/dis"))["id"]
    msg = hookbird.send(app)["id"]
    receiver.wait_for("/dis", 1)
    hookbird.api("PATCH", f"/app/{app}/endpoint/{ep}", 200, json={"disabled": True})
    r = hookbird.api("POST", f"/app/{app}/msg/{msg}/endpoint/{ep}/resend", 202)
    assert r.json() == {}
    settle(0.8)
    assert len(receiver.received("/dis")) == 1


def test_utf8_response_truncated_at_a_character_boundary(hookbird: Hookbird, receiver: Receiver) -> None:
    # 30 001 bytes of UTF-8 text; the 20 000-byte cut falls inside a 2-byte character.
    receiver.script("/utf8", Respond(200, ("a" + "é" * 15_000).encode()))
    app = hookbird.create_app()
    hookbird.create_endpoint(app, receiver.url("/utf8"))
    msg = hookbird.send(app)["id"]
    attempt = hookbird.wait_attempts(app, msg, 1)[0]
    response = attempt["response"]
    assert response.startswith("aéé"), (
        f"a text response cut at 20 000 bytes was stored as {len(response)} chars of base64: {response[:40]}…")
    assert len(response.encode()) <= 20_000


def test_request_timeout_bounds_the_response_body(hookbird: Hookbird, receiver: Receiver) -> None:
    # The endpoint answers 200 at once, then trickles an endless-looking body for 6 s. --request-timeout is 1 s:
    # the attempt must be over (recorded, as a success with the first 20 000 bytes or as a timeout) well before that.
    receiver.script("/trickle", Stream(200, b"y" * 1000, duration=6.0, interval=0.01))
    app = hookbird.create_app()
    hookbird.create_endpoint(app, receiver.url("/trickle"))
    msg = hookbird.send(app)["id"]
    arrived = receiver.wait_for("/trickle", 1)[0].at
    attempts = hookbird.wait_attempts(app, msg, 1, timeout=10)
    recorded_after = time.monotonic() - arrived
    first = attempts[0]
    assert first["responseDurationMs"] <= 2500, (
        f"an attempt with --request-timeout 1s lasted {first['responseDurationMs']} ms "
        f"(recorded {recorded_after:.1f} s after the request arrived; status {first['responseStatusCode']})")
