"""HTTPS with --tls-cert/--tls-key: a self-signed certificate made with openssl."""

from __future__ import annotations

import hashlib
import shutil
import socket
import ssl
import subprocess

import pytest
import requests
from svix import Svix, SvixOptions
from svix.api import ApplicationIn

from hookbird_e2e import crashed, describe_exit, not_about_the_database

TOKEN = "hbadmin_tls_e2e_token_0123456789"


@pytest.fixture
def cert(workdir):
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed")
    key, crt = workdir / "key.pem", workdir / "cert.pem"
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1",
         "-keyout", str(key), "-out", str(crt)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    return crt, key


@pytest.fixture
def tls_server(hb, workdir, cert):
    crt, key = cert
    return hb.serve(workdir / "tls.sqlite", "--admin-token", TOKEN,
                    "--tls-cert", str(crt), "--tls-key", str(key),
                    scheme="https", verify=str(crt))


def _pem_to_der(pem_path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem_path.read_text())


def test_https_health_verifies_against_our_certificate(tls_server, cert):
    crt, _ = cert
    r = requests.get(f"https://127.0.0.1:{tls_server.port}/api/v1/health", verify=str(crt),
                     timeout=10)
    assert r.status_code == 200, r.text

    # The peer certificate is exactly ours, and the hostname "localhost" verifies.
    ctx = ssl.create_default_context(cafile=str(crt))
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            peer = tls.getpeercert(binary_form=True)
            version = tls.version()
    assert hashlib.sha256(peer).hexdigest() == hashlib.sha256(_pem_to_der(crt)).hexdigest()
    assert version in ("TLSv1.2", "TLSv1.3"), version


def test_https_api_works_with_the_svix_sdk(tls_server, cert, monkeypatch):
    crt, _ = cert
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(crt))
    monkeypatch.setenv("SSL_CERT_FILE", str(crt))
    client = Svix(TOKEN, SvixOptions(server_url=f"https://localhost:{tls_server.port}",
                                     retry_schedule=[]))
    try:
        app = client.application.create(ApplicationIn(name="over tls"))
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"SDK transport ignores the CA env vars here: {e!r}")
    assert app.id.startswith("app_")
    r = requests.get(f"https://127.0.0.1:{tls_server.port}/api/v1/app/{app.id}",
                     headers={"Authorization": f"Bearer {TOKEN}"}, verify=str(crt), timeout=10)
    assert r.status_code == 200, r.text


def test_plain_http_to_the_tls_port_gets_no_api_answer(tls_server):
    try:
        r = requests.get(f"http://127.0.0.1:{tls_server.port}/api/v1/health", timeout=5)
    except requests.RequestException:
        return  # connection closed / reset: expected
    assert r.status_code != 200, f"plain HTTP was served on the TLS port: {r.status_code} {r.text}"
    assert tls_server.proc.poll() is None, "the server died after a plain-HTTP request"


def test_unverified_client_is_refused(tls_server):
    """Default trust store (no --cacert): the self-signed cert must not verify."""
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://127.0.0.1:{tls_server.port}/api/v1/health", verify=True,
                     timeout=10)


@not_about_the_database
@pytest.mark.parametrize("case", ["cert-without-key", "missing-cert-file", "key-is-not-pem"])
def test_bad_tls_configuration_is_a_clean_error(hb, workdir, cert, case):
    crt, key = cert
    junk = workdir / "junk.pem"
    junk.write_text("this is not a key\n")
    extra = {
        "cert-without-key": ["--tls-cert", str(crt)],
        "missing-cert-file": ["--tls-cert", str(workdir / "nope.pem"), "--tls-key", str(key)],
        "key-is-not-pem": ["--tls-cert", str(crt), "--tls-key", str(junk)],
    }[case]
    p = hb.serve(workdir / "badtls.sqlite", "--admin-token", TOKEN, *extra, wait=False)
    try:
        code = p.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: server kept running with a bad TLS configuration\n{p.logs()}")
    out = p.output()
    did_crash = crashed(code, out)
    assert not did_crash, f"{case}: crashed ({describe_exit(code)}) instead of a clean error\n{p.logs()}"
    assert code != 0, p.logs()
    assert "tls" in out.lower() or "cert" in out.lower() or "key" in out.lower(), (
        f"{case}: the error does not say what is wrong\n{p.logs()}")


def test_dashboard_cookies_are_secure_under_tls(tls_server, cert):
    """Under TLS the dashboard's sign-in and session cookies carry `Secure` besides HttpOnly and SameSite=Strict."""
    crt, _ = cert
    base = f"https://127.0.0.1:{tls_server.port}"
    session = requests.Session()
    page = session.get(f"{base}/dashboard/login", verify=str(crt), timeout=10)
    assert page.status_code == 200
    assert "; Secure" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = session.post(f"{base}/dashboard/login", data={"csrf": csrf, "token": TOKEN}, allow_redirects=False,
                     verify=str(crt), timeout=10)
    assert r.status_code == 303, r.text
    cookie = next(c for c in r.raw.headers.getlist("set-cookie") if c.startswith("hookbird_session="))
    attributes = {a.strip().lower() for a in cookie.split(";")}
    assert {"secure", "httponly", "samesite=strict", "path=/dashboard"} <= attributes
    assert session.get(f"{base}/dashboard/apps", verify=str(crt), allow_redirects=False, timeout=10).status_code == 200
