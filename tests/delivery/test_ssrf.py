"""The SSRF guard: without --egress-allow, loopback, private and link-local destinations are never sent to."""

from __future__ import annotations

import socket
import time

import pytest

from tests.support import Receiver, wait_until


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_private_destinations_are_blocked_without_egress_allow(servers, make_receiver) -> None:
    server = servers({"--egress-allow": None})
    v4: Receiver = make_receiver("127.0.0.1")
    port = v4.port
    receivers = [v4]
    if ipv6_loopback_available():
        try:
            receivers.append(make_receiver("::1", port))
        except OSError:
            receivers.append(make_receiver("::1"))
    v6 = receivers[-1] if len(receivers) > 1 else None

    urls = {
        "v4": f"http://127.0.0.1:{port}/v4",
        "localhost": f"http://localhost:{port}/localhost",
        "mapped": f"http://[::ffff:127.0.0.1]:{port}/mapped",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "zero": f"http://0.0.0.0:{port}/zero",
        "short": f"http://127.1:{port}/short",
        "private": "http://10.0.0.1:9/private",
    }
    if v6 is not None:
        urls["v6"] = f"http://[::1]:{v6.port}/v6"
    app = server.create_app()
    eps = {}
    for name, url in urls.items():
        r = server.api("POST", f"/app/{app}/endpoint", json={"url": url})
        assert r.status_code in (201, 422), (url, r.status_code, r.text)
        if r.status_code == 201:
            eps[name] = r.json()["id"]
    rejected = sorted(set(urls) - set(eps))
    print(f"\nSSRF: rejected at creation: {rejected}; accepted then checked on delivery: {sorted(eps)}")

    msg = server.send(app, payload={"ssrf": True})["id"]
    # Schedule 200 ms ×3: four blocked attempts per endpoint, then the delivery is failed.
    attempts = server.wait_attempts(app, msg, 4 * len(eps), timeout=15)
    by_ep: dict[str, list[dict]] = {}
    for a in attempts:
        by_ep.setdefault(a["endpointId"], []).append(a)
    problems = []
    for name, ep in eps.items():
        for a in by_ep.get(ep, []):
            if a["status"] != 2 or a["responseStatusCode"] != 0 or not a["response"].startswith("blocked:"):
                problems.append((name, a["responseStatusCode"], a["response"][:120]))
    assert not problems, problems
    for name, ep in eps.items():
        wait_until(lambda: server.settled(app, ep), 5, message=f"{name} delivery failed")
        sample = by_ep[ep][0]["response"]
        assert "--egress-allow" in sample or "address" in sample, sample
    time.sleep(0.5)
    for r in receivers:
        assert r.received() == [], [(x.path, x.headers.get("webhook-id")) for x in r.received()]
    tcp = sum(r.connections for r in receivers)
    print(f"SSRF: TCP connections accepted by the loopback receivers (no HTTP request): {tcp}")
    print("SSRF: sample reasons: " + "; ".join(f"{n}: {by_ep[e][0]['response']}" for n, e in eps.items()))


@pytest.mark.parametrize("url", ["ftp://x", "ftp://example.com/hook", "file:///etc/passwd", "gopher://x:70/", "not a url"])
def test_non_http_endpoint_urls_are_rejected(hookbird, url: str) -> None:
    app = hookbird.create_app()
    r = hookbird.api("POST", f"/app/{app}/endpoint", json={"url": url})
    assert r.status_code == 422, (url, r.status_code, r.text)


def test_egress_allow_lets_loopback_names_and_ipv6_through(hookbird, make_receiver) -> None:
    # Positive control for the test above: the shared server runs with --egress-allow 127.0.0.0/8,::1/128.
    v4 = make_receiver("127.0.0.1")
    app = hookbird.create_app()
    hookbird.create_endpoint(app, f"http://localhost:{v4.port}/by-name")
    targets = [(v4, "/by-name")]
    if ipv6_loopback_available():
        v6 = make_receiver("::1")
        hookbird.create_endpoint(app, f"http://[::1]:{v6.port}/v6")
        targets.append((v6, "/v6"))
    msg = hookbird.send(app)["id"]
    for r, path in targets:
        assert r.wait_for(path, 1)[0].header("webhook-id") == msg


@pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback")
def test_ipv6_loopback_is_reported_as_loopback(servers, make_receiver) -> None:
    server = servers({"--egress-allow": None, "--retry-schedule": "50ms"})
    v6 = make_receiver("::1")
    app = server.create_app()
    server.create_endpoint(app, f"http://[::1]:{v6.port}/v6")
    msg = server.send(app)["id"]
    attempt = server.wait_attempts(app, msg, 1)[0]
    assert attempt["response"].startswith("blocked:"), attempt["response"]
    assert v6.received() == []
    # ::1 is the IPv6 loopback address, not "unspecified" (::) — the reason should say so.
    assert "loopback" in attempt["response"], attempt["response"]


def test_blocked_names_do_not_reveal_closed_internal_ports(servers, make_receiver) -> None:
    # A name that resolves to a blocked address must be refused the same way whether or not something listens there;
    # otherwise attempts leak which internal ports are open (blind SSRF port scan) and the TCP handshake still happens.
    from tests.support import free_port

    server = servers({"--egress-allow": None, "--retry-schedule": "50ms"})
    open_port = make_receiver("127.0.0.1")
    app = server.create_app()
    ep_open = server.create_endpoint(app, f"http://localhost:{open_port.port}/open")["id"]
    ep_closed = server.create_endpoint(app, f"http://localhost:{free_port()}/closed")["id"]
    msg = server.send(app)["id"]
    attempts = server.wait_attempts(app, msg, 4)
    texts = {ep: [a["response"] for a in attempts if a["endpointId"] == ep] for ep in (ep_open, ep_closed)}
    assert open_port.received() == []
    assert all(t.startswith("blocked:") for t in texts[ep_open]), texts[ep_open]
    assert all(t.startswith("blocked:") for t in texts[ep_closed]), (
        f"a closed loopback port behind a name is reported as {texts[ep_closed][0]!r}, an open one as blocked")
