"""JWT authentication against a server started with --jwt-secret.

Expected behaviour: shared/reference/svix-api-subset.md §1 (svix-server's
HS256 tokens: `sub` = org id, `exp`/`nbf` verified; app-scoped tokens carry
`sub` = app id and only reach that application).
"""

from __future__ import annotations

import secrets
import time

import pytest
import requests
from svix import Svix, SvixOptions
from svix.api import ApplicationIn
from svix.exceptions import HttpError

from hookbird_e2e import (assert_json_error, auth, crashed, create_app, describe_exit, jwt_claims, make_jwt,
                          not_about_the_database)

JWT_SECRET = secrets.token_hex(32)


@pytest.fixture
def jwt_server(hb, workdir):
    return hb.serve(workdir / "jwt.sqlite", "--jwt-secret", JWT_SECRET)


def _token_create(hb, *args: str) -> str:
    r = hb.run(["token", "create", *args])
    assert r.returncode == 0, f"token create {args}: {describe_exit(r.returncode)}\n{r.stderr}"
    token = r.stdout.strip()
    assert token.count(".") == 2 and "\n" not in token, f"not a single JWT line: {r.stdout!r}"
    return token


def test_token_create_token_works_with_the_svix_sdk(hb, jwt_server):
    token = _token_create(hb, "--jwt-secret", JWT_SECRET)
    claims = jwt_claims(token)
    assert claims["sub"].startswith("org_"), claims
    assert claims["exp"] > time.time() + 86400, f"org token should be long-lived: {claims}"

    client = Svix(token, SvixOptions(server_url=jwt_server.base_url, retry_schedule=[]))
    app = client.application.create(ApplicationIn(name="jwt app", uid="jwt-app"))
    assert app.id.startswith("app_")
    assert client.application.get("jwt-app").id == app.id


def test_token_for_another_org_sees_only_its_own_apps(hb, jwt_server):
    org_a = _token_create(hb, "--jwt-secret", JWT_SECRET, "--org", "org_e2eTenantA")
    org_b = _token_create(hb, "--jwt-secret", JWT_SECRET, "--org", "org_e2eTenantB")
    assert jwt_claims(org_a)["sub"] == "org_e2eTenantA"
    app_a = create_app(jwt_server.base_url, org_a, "tenant A")

    r = requests.get(f"{jwt_server.base_url}/api/v1/app/{app_a['id']}", headers=auth(org_b),
                     timeout=10)
    assert_json_error(r, 404)
    listed = requests.get(f"{jwt_server.base_url}/api/v1/app", headers=auth(org_b), timeout=10)
    assert listed.status_code == 200
    assert app_a["id"] not in [a["id"] for a in listed.json()["data"]]


def test_token_signed_with_another_secret_is_401_json(jwt_server):
    forged = make_jwt(secrets.token_hex(32),
                      {"sub": "org_23rb8YdGqMT0qIzpgGwdXfHirMu", "iat": int(time.time()),
                       "exp": int(time.time()) + 3600})
    r = requests.get(f"{jwt_server.base_url}/api/v1/app", headers=auth(forged), timeout=10)
    assert_json_error(r, 401, "authentication_failed")


def test_raw_secret_as_token_is_401_with_a_hint(jwt_server):
    r = requests.get(f"{jwt_server.base_url}/api/v1/app", headers=auth(JWT_SECRET), timeout=10)
    body = assert_json_error(r, 401, "authentication_failed")
    assert "secret" in body["detail"].lower(), f"no hint about the secret: {body}"
    assert JWT_SECRET not in r.text, "the error must not echo the secret back"


@pytest.mark.parametrize("case", ["expired", "not-yet-valid", "alg-none", "garbage", "no-bearer"])
def test_invalid_tokens_are_401(jwt_server, case):
    now = int(time.time())
    org = "org_23rb8YdGqMT0qIzpgGwdXfHirMu"
    headers = {
        "expired": auth(make_jwt(JWT_SECRET, {"sub": org, "iat": now - 7200, "exp": now - 3600})),
        "not-yet-valid": auth(make_jwt(JWT_SECRET, {"sub": org, "iat": now,
                                                     "nbf": now + 3600, "exp": now + 7200})),
        "alg-none": auth(make_jwt(JWT_SECRET, {"sub": org, "iat": now, "exp": now + 3600},
                                  alg="none")),
        "garbage": auth("not.a.jwt"),
        "no-bearer": {"Authorization": f"Basic {JWT_SECRET}"},
    }[case]
    r = requests.get(f"{jwt_server.base_url}/api/v1/app", headers=headers, timeout=10)
    assert_json_error(r, 401, "authentication_failed")


def test_hand_made_hs256_token_with_the_right_secret_works(jwt_server):
    """A token from any HS256 library (svix-server style claims) is accepted."""
    now = int(time.time())
    token = make_jwt(JWT_SECRET, {"iat": now, "nbf": now, "exp": now + 600,
                                  "iss": "svix-server", "sub": "org_handMade"})
    app = create_app(jwt_server.base_url, token, "hand made")
    r = requests.get(f"{jwt_server.base_url}/api/v1/app/{app['id']}", headers=auth(token),
                     timeout=10)
    assert r.status_code == 200


def test_token_with_non_org_subject_is_rejected(jwt_server):
    now = int(time.time())
    token = make_jwt(JWT_SECRET, {"sub": "user_123", "iat": now, "exp": now + 600})
    r = requests.get(f"{jwt_server.base_url}/api/v1/app", headers=auth(token), timeout=10)
    assert r.status_code in (400, 401), r.text
    assert_json_error(r, r.status_code)


class TestAppScopedToken:
    @pytest.fixture
    def setup(self, hb, jwt_server):
        org = _token_create(hb, "--jwt-secret", JWT_SECRET)
        mine = create_app(jwt_server.base_url, org, "mine", uid="mine-app")
        other = create_app(jwt_server.base_url, org, "other", uid="other-app")
        scoped = _token_create(hb, "--jwt-secret", JWT_SECRET, "--app", mine["id"])
        claims = jwt_claims(scoped)
        assert claims["sub"] == mine["id"], claims
        return jwt_server.base_url, scoped, mine, other

    def _req(self, method, url, token, **kw):
        return requests.request(method, url, headers=auth(token), timeout=10, **kw)

    def test_reads_its_own_app(self, setup):
        base, scoped, mine, _ = setup
        for ref in (mine["id"], mine["uid"]):
            r = self._req("GET", f"{base}/api/v1/app/{ref}", scoped)
            assert r.status_code == 200, f"GET own app by {ref}: {r.status_code} {r.text}"
            assert r.json()["id"] == mine["id"]
        r = self._req("GET", f"{base}/api/v1/app/{mine['id']}/msg", scoped)
        assert r.status_code == 200, r.text

    def test_other_apps_are_404(self, setup):
        base, scoped, _, other = setup
        for path in (f"/api/v1/app/{other['id']}", f"/api/v1/app/{other['uid']}",
                     f"/api/v1/app/{other['id']}/msg", f"/api/v1/app/{other['id']}/endpoint"):
            assert_json_error(self._req("GET", base + path, scoped), 404)

    def test_app_list_shows_only_its_app(self, setup):
        base, scoped, mine, _ = setup
        r = self._req("GET", f"{base}/api/v1/app", scoped)
        assert r.status_code == 200, r.text
        assert [a["id"] for a in r.json()["data"]] == [mine["id"]]

    def test_org_only_routes_are_403(self, setup):
        base, scoped, mine, _ = setup
        cases = [
            ("POST", "/api/v1/app", {"name": "nope"}),
            ("POST", f"/api/v1/app/{mine['id']}/msg", {"eventType": "a.b", "payload": {}}),
            ("POST", "/api/v1/event-type", {"name": "scoped.nope", "description": "d"}),
            ("DELETE", f"/api/v1/app/{mine['id']}", None),
        ]
        for method, path, body in cases:
            r = self._req(method, base + path, scoped, json=body)
            assert_json_error(r, 403)

    def test_svix_sdk_raises_for_scoped_token(self, setup):
        base, scoped, mine, other = setup
        client = Svix(scoped, SvixOptions(server_url=base, retry_schedule=[]))
        assert client.application.get(mine["id"]).id == mine["id"]
        with pytest.raises(HttpError) as e:
            client.application.get(other["id"])
        assert e.value.status_code == 404
        with pytest.raises(HttpError) as e:
            client.application.create(ApplicationIn(name="nope"))
        assert e.value.status_code == 403


def test_short_jwt_secret_does_not_crash_serve(hb, workdir):
    """svix-server accepts any jwt_secret; Hookbird must either accept a short one
    or refuse it with a clear message, but never crash."""
    p = hb.serve(workdir / "short.sqlite", "--jwt-secret", "sekrit", wait=False)
    try:
        p.wait_healthy(timeout=15)
        started = True
    except AssertionError:
        started = False
    out = p.output()
    did_crash = crashed(p.proc.poll(), out)
    assert not did_crash, (
        f"`hookbird serve --jwt-secret sekrit` crashed ({describe_exit(p.proc.poll())}):\n"
        f"{p.logs()}")
    if not started:
        assert p.proc.returncode not in (0, None)
        assert "secret" in out.lower(), f"no clear message:\n{p.logs()}"


@not_about_the_database
def test_short_jwt_secret_does_not_crash_token_create(hb):
    r = hb.run(["token", "create", "--jwt-secret", "sekrit"])
    out = r.stdout + r.stderr
    did_crash = crashed(r.returncode, out)
    assert not did_crash, (
        f"`hookbird token create --jwt-secret sekrit` crashed ({describe_exit(r.returncode)}):\n"
        f"{out[-2000:]}")
    if r.returncode != 0:
        assert "secret" in r.stderr.lower(), r.stderr
