"""Fan-out: which endpoints of an application get a message, and exactly once."""

from __future__ import annotations

import time
from collections import Counter

from tests.support import Hookbird, Receiver, unique


def test_fanout_filters_event_types_channels_and_disabled(hookbird: Hookbird, receiver: Receiver) -> None:
    t1, t2, t3 = unique("fan.one"), unique("fan.two"), unique("fan.three")
    for name in (t1, t2, t3):
        hookbird.create_event_type(name)
    app = hookbird.create_app()
    eps = {
        "/all": {},
        "/type1": {"eventTypes": [t1]},
        "/ch1": {"channels": ["ch1"]},
        "/type2-ch2": {"eventTypes": [t2], "channels": ["ch2"]},
        "/ch1-ch3": {"channels": ["ch1", "ch3"]},
        "/disabled": {"disabled": True},
        "/patched-off": {},
        "/deleted": {},
    }
    ids = {path: hookbird.create_endpoint(app, receiver.url(path), **fields)["id"] for path, fields in eps.items()}
    hookbird.api("PATCH", f"/app/{app}/endpoint/{ids['/patched-off']}", 200, json={"disabled": True})
    hookbird.api("DELETE", f"/app/{app}/endpoint/{ids['/deleted']}", 204)
    # Another application's endpoint never sees this app's messages.
    other_app = hookbird.create_app("other")
    hookbird.create_endpoint(other_app, receiver.url("/other-app"))

    m1 = hookbird.send(app, t1)["id"]  # no channels
    m2 = hookbird.send(app, t2, channels=["ch1"])["id"]
    m3 = hookbird.send(app, t2, channels=["ch2", "ch3"])["id"]
    m4 = hookbird.send(app, t3, channels=["ch9"])["id"]
    m5 = hookbird.send(app, t1, channels=["ch1"])["id"]

    expected = {
        "/all": {m1, m2, m3, m4, m5},
        "/type1": {m1, m5},
        "/ch1": {m2, m5},
        "/type2-ch2": {m3},
        "/ch1-ch3": {m2, m3, m5},
        "/disabled": set(),
        "/patched-off": set(),
        "/deleted": set(),
        "/other-app": set(),
    }
    total = sum(len(v) for v in expected.values())
    receiver.wait_for(None, total, timeout=10)
    time.sleep(1.0)  # let any wrong extra delivery arrive

    for path, want in expected.items():
        got = Counter(r.header("webhook-id") for r in receiver.received(path))
        assert set(got) == want, f"{path}: got {sorted(got)}, expected {sorted(want)}"
        dupes = {k: n for k, n in got.items() if n > 1}
        assert not dupes, f"{path}: delivered more than once: {dupes}"
    assert len(receiver.received()) == total

    # The API agrees: attempts per message name exactly the matching endpoints.
    for msg in (m1, m2, m3, m4, m5):
        attempted = {a["endpointId"] for a in hookbird.attempts_for_msg(app, msg)}
        want = {ids[p] for p, msgs in expected.items() if msg in msgs and p in ids}
        assert attempted == want, msg
