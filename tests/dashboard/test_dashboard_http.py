"""The dashboard over plain HTTP: sign-in, session cookie, CSRF, sign-out, scoping, 404 pages and every action.

Each action is checked through the API afterwards, so the dashboard is seen to do what the API does.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone

import requests
from standardwebhooks import Webhook

from dashboard_harness import app_token, start_server
from tests.support import DashboardClient, Respond, csrf_of, unique, wait_until


def make_app(server, receiver, *, name: str = "dash") -> tuple[str, dict, dict]:
    """An application with one endpoint at the receiver and one delivered message."""
    app = server.api("POST", "/app", 201, json={"name": unique(name)}).json()
    endpoint = server.create_endpoint(app["id"], receiver.url("/hook"), description="main receiver",
                                      headers={"X-Team": "billing", "Authorization": "Bearer hidden-value"})
    message = server.send(app["id"], "invoice.paid", {"id": "inv_1", "amount": 100, "note": "<b>bold</b>"})
    server.wait_attempts(app["id"], message["id"], 1)
    return app, endpoint, message


def signed_in(server) -> DashboardClient:
    client = DashboardClient(server)
    r = client.sign_in(server.token)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/apps", r.text
    return client


def test_pages_redirect_to_sign_in_without_a_session(server):
    client = DashboardClient(server)
    for path in ["/dashboard", "/dashboard/apps", "/dashboard/apps/app_x/messages/msg_y", "/dashboard/sources"]:
        r = client.get(path)
        r = client.get(r.headers["location"]) if path == "/dashboard" else r
        assert r.status_code == 303, path
        assert r.headers["location"] == "/dashboard/login", path


def test_sign_in_sets_a_strict_http_only_session_cookie(server, receiver):
    app, _, _ = make_app(server, receiver)
    client = DashboardClient(server)
    r = client.sign_in(server.token)
    assert r.status_code == 303
    cookies = r.headers["set-cookie"]
    session = next(part for part in cookies.split(", hookbird") if "hookbird_session=" in part)
    attributes = [a.strip().lower() for a in session.split(";")]
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/dashboard" in attributes
    assert "secure" not in attributes  # plain http here; set under TLS
    value = client.http.cookies.get("hookbird_session", path="/dashboard")
    assert value and len(value) >= 43
    page = client.get("/dashboard/apps")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert app["name"] in page.text
    assert "no-store" in page.headers["cache-control"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_wrong_token_shows_the_sign_in_page_again_with_401(server):
    client = DashboardClient(server)
    r = client.sign_in("not-a-token")
    assert r.status_code == 401
    assert 'id="signin-error"' in r.text and "Invalid token" in r.text
    assert 'name="token"' in r.text
    assert "hookbird_session" not in client.http.cookies
    assert client.get("/dashboard/apps").status_code == 303


def test_sign_in_form_without_its_csrf_token_is_403(server):
    client = DashboardClient(server)
    r = client.post("/dashboard/login", {"token": server.token})
    assert r.status_code == 403
    client.get("/dashboard/login")
    r = client.post("/dashboard/login", {"token": server.token, "csrf": "forged"})
    assert r.status_code == 403
    assert "hookbird_session" not in client.http.cookies


def test_post_with_a_missing_or_wrong_csrf_token_is_403_and_changes_nothing(server, receiver):
    app, endpoint, message = make_app(server, receiver)
    client = signed_in(server)
    action = f"/dashboard/apps/{app['id']}/endpoints/{endpoint['id']}/disable"
    assert client.post(action, {}).status_code == 403
    r = client.post(action, {"csrf": "x" * 43})
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    resend = f"/dashboard/apps/{app['id']}/messages/{message['id']}/resend"
    assert client.post(resend, {"endpoint_id": endpoint["id"]}).status_code == 403
    # Another session's token is no good either.
    other = signed_in(server)
    token = csrf_of(other.get("/dashboard/apps").text)
    assert client.post(action, {"csrf": token}).status_code == 403
    assert server.endpoint(app["id"], endpoint["id"]).get("disabled") is False
    time.sleep(0.5)
    assert len(receiver.received("/hook")) == 1


def test_sign_out_ends_the_session(server):
    client = signed_in(server)
    old = client.http.cookies.get("hookbird_session", path="/dashboard")
    r = client.submit("/dashboard/apps", "/dashboard/logout")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"
    assert "hookbird_session=;" in r.headers["set-cookie"] and "Max-Age=0" in r.headers["set-cookie"]
    assert client.get("/dashboard/apps").status_code == 303
    # The old cookie, replayed, is dead too.
    replay = requests.get(f"{server.base_url}/dashboard/apps", cookies={"hookbird_session": old},
                          allow_redirects=False, timeout=10)
    assert replay.status_code == 303 and replay.headers["location"] == "/dashboard/login"


def test_a_session_and_its_notice_outlive_a_restart(tmp_path, receiver):
    """Sessions are kept in the database: a restart (or another node) signs nobody out."""
    server = start_server(tmp_path)
    try:
        app, endpoint, _ = make_app(server, receiver)
        client = signed_in(server)
        page = f"/dashboard/apps/{app['id']}/endpoints/{endpoint['id']}"
        assert client.submit(page, f"{page}/disable").status_code == 303
        assert server.stop() == 0
        server.start()
        shown = client.get(page)
        assert shown.status_code == 200, shown.headers.get("location")
        assert "Endpoint disabled." in shown.text
        assert "Endpoint disabled." not in client.get(page).text  # shown once
        # Forms keep working with the session's CSRF token, and sign-out still ends it for good.
        assert client.submit(page, f"{page}/enable").status_code == 303
        assert server.endpoint(app["id"], endpoint["id"])["disabled"] is False
        assert client.submit(page, "/dashboard/logout").status_code == 303
        assert server.stop() == 0
        server.start()
        assert client.get(page).status_code == 303
    finally:
        server.stop()


def test_app_scoped_token_sees_only_its_application(server, receiver):
    mine, _, message = make_app(server, receiver, name="mine")
    other, _, _ = make_app(server, receiver, name="other")
    client = DashboardClient(server)
    assert client.sign_in(app_token(mine["id"])).status_code == 303
    page = client.get("/dashboard/apps").text
    assert mine["name"] in page and other["name"] not in page
    assert 'href="/dashboard/sources"' not in page
    assert client.get(f"/dashboard/apps/{mine['id']}").status_code == 200
    assert client.get(f"/dashboard/apps/{mine['id']}/messages/{message['id']}").status_code == 200
    assert client.get(f"/dashboard/apps/{other['id']}").status_code == 404
    assert client.get("/dashboard/sources").status_code == 403


def test_unknown_ids_and_pages_are_404_pages(server, receiver):
    app, endpoint, _ = make_app(server, receiver)
    client = signed_in(server)
    for path in [
        "/dashboard/apps/app_2unknownunknownunknown0000",
        f"/dashboard/apps/{app['id']}/messages/msg_2unknownunknownunknown0000",
        f"/dashboard/apps/{app['id']}/endpoints/ep_2unknownunknownunknown00000",
        "/dashboard/sources/src_nope",
        "/dashboard/no/such/page",
    ]:
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html"), path
        assert "404" in r.text and "Sign out" in r.text, path
    r = client.submit(f"/dashboard/apps/{app['id']}", f"/dashboard/apps/{app['id']}/messages/msg_nope/resend",
                      {"endpoint_id": endpoint["id"]})
    assert r.status_code == 404


def test_pages_link_to_each_other_and_show_the_details(server, receiver):
    receiver.script("/failing", *[Respond(status=503, body=b"down for <maintenance>")])
    app, endpoint, message = make_app(server, receiver)
    failing = server.create_endpoint(app["id"], receiver.url("/failing"), description="flaky")
    second = server.send(app["id"], "invoice.paid", {"id": "inv_2"})
    server.wait_attempts(app["id"], second["id"], 2)
    client = signed_in(server)

    apps = client.get("/dashboard/apps").text
    assert f'href="/dashboard/apps/{app["id"]}"' in apps

    page = client.get(f"/dashboard/apps/{app['id']}").text
    assert f'/dashboard/apps/{app["id"]}/endpoints/{endpoint["id"]}' in page
    assert f'/dashboard/apps/{app["id"]}/messages/{message["id"]}' in page
    assert "main receiver" in page and "flaky" in page and "enabled" in page
    assert '<span class="badge bad">503</span>' in page  # the failing endpoint's last failure
    assert "just now</time>" in page and " UTC</span>" in page  # relative and absolute times

    page = client.get(f"/dashboard/apps/{app['id']}/messages/{second['id']}").text
    assert "invoice.paid" in page
    assert '&quot;id&quot; : &quot;inv_2&quot;' in page  # pretty-printed and escaped
    assert "down for &lt;maintenance&gt;" in page and "<maintenance>" not in page
    assert "next attempt" in page  # the failing delivery is waiting for a retry
    assert page.count('class="primary resend"') == 2

    first = client.get(f"/dashboard/apps/{app['id']}/messages/{message['id']}").text
    assert "&lt;b&gt;bold&lt;/b&gt;" in first

    page = client.get(f"/dashboard/apps/{app['id']}/endpoints/{endpoint['id']}").text
    assert "X-Team" in page and "billing" in page
    assert "Authorization" in page and "hidden-value" not in page and "hidden (sensitive)" in page
    assert page.count('class="attempt"') == 2
    filtered = client.get(f"/dashboard/apps/{app['id']}/endpoints/{failing['id']}", params={"status": 0}).text
    assert 'class="attempt"' not in filtered
    filtered = client.get(f"/dashboard/apps/{app['id']}/endpoints/{failing['id']}", params={"code": 500}).text
    assert 'class="attempt"' in filtered


def test_endpoint_actions_do_what_the_api_does(server, receiver):
    app, endpoint, _ = make_app(server, receiver)
    ops_receiver_path = "/ops"
    server.api("POST", "/operational-webhook/endpoint", 201, json={"url": receiver.url(ops_receiver_path)})
    client = signed_in(server)
    page = f"/dashboard/apps/{app['id']}/endpoints/{endpoint['id']}"

    r = client.submit(page, f"{page}/disable")
    assert r.status_code == 303 and r.headers["location"] == page
    assert server.endpoint(app["id"], endpoint["id"])["disabled"] is True
    shown = client.get(page).text
    assert "Endpoint disabled." in shown and ">Enable</button>" in shown
    # Operational webhook endpoint.updated, as for PATCH.
    event = wait_until(lambda: [r for r in receiver.received(ops_receiver_path) if r.json["type"] == "endpoint.updated"],
                       10, message="endpoint.updated operational webhook")
    assert event[0].json["data"]["endpointId"] == endpoint["id"]
    # While disabled, a message is not queued for it; replay-missing sends it afterwards.
    missed = server.send(app["id"], "invoice.paid", {"id": "missed"})
    assert client.submit(page, f"{page}/enable").status_code == 303
    assert server.endpoint(app["id"], endpoint["id"])["disabled"] is False
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    r = client.submit(page, f"{page}/replay-missing", {"since": since})
    assert r.status_code == 303
    assert "Replay queued 1 message" in client.get(page).text
    wait_until(lambda: any(x.json.get("id") == "missed" for x in receiver.received("/hook")), 10,
               message="replayed message delivered")

    old_secret = server.secret(app["id"], endpoint["id"])
    client.submit(page, f"{page}/rotate", {"grace_period_seconds": "0"})
    new_secret = server.secret(app["id"], endpoint["id"])
    assert new_secret != old_secret
    assert f"The new secret is {new_secret}" in client.get(page).text

    r = client.submit(page, f"{page}/recover", {"since": since})
    assert r.status_code == 303
    assert "Recover queued 0 message" in client.get(page).text
    # A refusal comes back as an error notice on the page.
    too_old = (datetime.now(timezone.utc) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    client.submit(page, f"{page}/recover", {"since": too_old})
    shown = client.get(page).text
    assert 'class="flash error"' in shown and "at most 14 days" in shown
    client.submit(page, f"{page}/recover", {"since": "yesterday"})
    assert "Enter a date and time" in client.get(page).text


def test_resend_queues_a_new_delivery(server, receiver):
    app, endpoint, message = make_app(server, receiver)
    client = signed_in(server)
    page = f"/dashboard/apps/{app['id']}/messages/{message['id']}"
    r = client.submit(page, f"{page}/resend", {"endpoint_id": endpoint["id"]})
    assert r.status_code == 303 and r.headers["location"] == page
    receiver.wait_for("/hook", 2)
    attempts = server.wait_attempts(app["id"], message["id"], 2)
    assert [a["triggerType"] for a in attempts] == [0, 1]
    assert "Resend queued" in client.get(page).text


def test_sources_show_counts_and_replay(server, receiver):
    app, endpoint, _ = make_app(server, receiver)
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    source = server.api("POST", "/source", 201, json={"name": unique("billing"), "uid": unique("src"),
                                                      "provider": "standard-webhooks", "secrets": [secret],
                                                      "appId": app["id"]}).json()
    body = json.dumps({"type": "invoice.paid", "data": {"id": "from-source"}})
    now = datetime.now(timezone.utc)
    headers = {"webhook-id": "evt_src_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(secret).sign("evt_src_1", now, body), "content-type": "application/json"}
    url = f"{server.base_url}/webhook/{source['uid']}"
    assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 200
    assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 200  # duplicate
    bad = dict(headers, **{"webhook-id": "evt_src_2", "webhook-signature": "v1,AAAA"})
    assert requests.post(url, data=body, headers=bad, timeout=10).status_code == 401
    receiver.wait_for("/hook", 2)

    client = signed_in(server)
    sources = client.get("/dashboard/sources").text
    assert source["name"] in sources and f"/dashboard/sources/{source['id']}" in sources
    page = f"/dashboard/sources/{source['id']}"
    shown = client.get(page).text
    for count in ['<span class="n">1</span> accepted', '<span class="n">1</span> refused',
                  '<span class="n">1</span> duplicate']:
        assert count in shown
    assert shown.count('class="replay"') == 2  # the accepted and the duplicate request
    refused = client.get(page, params={"verdict": "refused"}).text
    assert 'class="replay"' not in refused
    assert refused.count('<span class="badge bad">refused</span>') == 1
    requests_ = server.api("GET", f"/source/{source['id']}/request", 200, params={"verdict": "accepted"}).json()["data"]
    r = client.submit(page, f"{page}/requests/{requests_[0]['id']}/replay")
    assert r.status_code == 303 and r.headers["location"] == page
    assert "Replayed as message msg_" in client.get(page).text
    receiver.wait_for("/hook", 3)
