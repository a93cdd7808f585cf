"""The dashboard in a real browser (headless Chromium through Selenium): sign in, go from the applications to an
application and to one of its messages, press Resend, and check that the receiver got the new delivery.

Screenshots (1400 px wide and phone-sized) are kept under .build/artifacts/dashboard/ as CI artefacts.
Skipped, with the reason, only when Chromium or chromedriver is not installed (`.ci/run` installs Debian's
`chromium` and `chromium-driver`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import REPO_ROOT, Respond, unique

CHROMIUM = next((p for p in map(shutil.which, ["chromium", "chromium-browser", "google-chrome"]) if p), None)
CHROMEDRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
ARTIFACTS = REPO_ROOT / ".build" / "artifacts" / "dashboard"
DESKTOP = (1400, 1000)
PHONE = (390, 844)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--hide-scrollbars"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: webdriver.Chrome, name: str, size: tuple[int, int] = DESKTOP) -> Path:
    """Saves the whole page at the given width (the window is made as tall as the page)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(size[0], size[1])
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size[0], max(size[1], min(int(height), 4000)))
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    driver.set_window_size(*DESKTOP)
    return path


def test_sign_in_navigate_and_resend_in_a_browser(server, receiver, browser):
    app = server.api("POST", "/app", 201, json={"name": unique("Acme Billing")}).json()
    endpoint = server.create_endpoint(app["id"], receiver.url("/hook"), description="Acme production receiver",
                                      headers={"X-Team": "billing"})
    failing = server.create_endpoint(app["id"], receiver.url("/down"), description="Staging (down)")
    receiver.script("/down", Respond(status=503, body=b'{"error":"maintenance"}'))
    message = server.send(app["id"], "invoice.paid",
                          {"id": "inv_42", "amount": 4200, "currency": "EUR", "customer": {"id": "cus_7", "name": "Ada"}})
    server.send(app["id"], "invoice.created", {"id": "inv_43"})
    server.wait_attempts(app["id"], message["id"], 2)
    receiver.wait_for("/hook", 2)
    before = len(receiver.received("/hook"))
    wait = WebDriverWait(browser, 15)

    # Any page sends an anonymous visitor to the sign-in page.
    browser.get(f"{server.base_url}/dashboard/apps")
    wait.until(ec.url_contains("/dashboard/login"))
    screenshot(browser, "01-sign-in")
    browser.find_element(By.ID, "token").send_keys(server.token)
    browser.find_element(By.CSS_SELECTOR, "#signin button[type=submit]").click()
    wait.until(ec.url_to_be(f"{server.base_url}/dashboard/apps"))
    assert browser.get_cookie("hookbird_session")["httpOnly"] is True
    assert browser.get_cookie("hookbird_session")["sameSite"] == "Strict"
    screenshot(browser, "02-applications")

    # Applications → the application → the message.
    browser.find_element(By.LINK_TEXT, app["name"]).click()
    wait.until(ec.url_to_be(f"{server.base_url}/dashboard/apps/{app['id']}"))
    assert "Acme production receiver" in browser.page_source
    screenshot(browser, "03-application")
    browser.find_element(By.CSS_SELECTOR, f"a.message-link[href$='/messages/{message['id']}']").click()
    message_url = f"{server.base_url}/dashboard/apps/{app['id']}/messages/{message['id']}"
    wait.until(ec.url_to_be(message_url))
    assert browser.find_element(By.ID, "event-type").text == "invoice.paid"
    assert '"currency" : "EUR"' in browser.find_element(By.ID, "payload").text

    # Resend to the working endpoint: the receiver gets a new, signed delivery of the same message.
    browser.find_element(By.CSS_SELECTOR, f"button.resend[data-endpoint='{endpoint['id']}']").click()
    flash = wait.until(ec.visibility_of_element_located((By.ID, "flash")))
    assert "Resend queued" in flash.text
    assert browser.current_url == message_url
    received = receiver.wait_for("/hook", before + 1)
    resent = received[-1]
    assert resent.header("webhook-id") == message["id"]
    assert resent.json["id"] == "inv_42"
    attempts = server.wait_attempts(app["id"], message["id"], 3)
    assert sorted(a["triggerType"] for a in attempts if a["endpointId"] == endpoint["id"]) == [0, 1]
    browser.refresh()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, f"#delivery-{endpoint['id']} tr.attempt")) == 2)
    screenshot(browser, "04-message-after-resend")

    browser.get(f"{server.base_url}/dashboard/apps/{app['id']}/endpoints/{failing['id']}")
    wait.until(ec.presence_of_element_located((By.ID, "recover")))
    screenshot(browser, "05-endpoint")

    # The same pages on a phone.
    browser.get(f"{server.base_url}/dashboard/apps/{app['id']}")
    screenshot(browser, "06-phone-application", PHONE)
    browser.get(message_url)
    screenshot(browser, "07-phone-message", PHONE)

    browser.find_element(By.ID, "sign-out").click()
    wait.until(ec.url_contains("/dashboard/login"))
    browser.get(f"{server.base_url}/dashboard/apps")
    wait.until(ec.url_contains("/dashboard/login"))


def test_source_pages_in_a_browser(server, receiver, browser):
    """A source's counts and stored requests, and Replay from the browser; screenshots of both source pages."""
    import base64
    import json
    from datetime import datetime, timezone

    import requests
    from standardwebhooks import Webhook

    app = server.api("POST", "/app", 201, json={"name": unique("Payments")}).json()
    server.create_endpoint(app["id"], receiver.url("/in"))
    secret = "whsec_" + base64.b64encode(b"s" * 32).decode()
    source = server.api("POST", "/source", 201, json={"name": unique("Billing provider"), "uid": unique("billing"),
                                                      "provider": "standard-webhooks", "secrets": [secret],
                                                      "appId": app["id"]}).json()
    url = f"{server.base_url}/webhook/{source['uid']}"
    for n, signature_ok in [(1, True), (2, True), (3, False)]:
        body = json.dumps({"type": "payment.succeeded", "data": {"n": n}})
        now = datetime.now(timezone.utc)
        signature = Webhook(secret).sign(f"evt_{n}", now, body) if signature_ok else "v1,AAAA"
        requests.post(url, data=body, timeout=10, headers={"webhook-id": f"evt_{n}", "content-type": "application/json",
                                                            "webhook-timestamp": str(int(now.timestamp())),
                                                            "webhook-signature": signature})
    receiver.wait_for("/in", 2)
    wait = WebDriverWait(browser, 15)
    browser.get(f"{server.base_url}/dashboard/login")
    browser.find_element(By.ID, "token").send_keys(server.token)
    browser.find_element(By.CSS_SELECTOR, "#signin button[type=submit]").click()
    wait.until(ec.url_contains("/dashboard/apps"))
    browser.find_element(By.LINK_TEXT, "Sources").click()
    wait.until(ec.url_contains("/dashboard/sources"))
    screenshot(browser, "08-sources")
    browser.find_element(By.LINK_TEXT, source["name"]).click()
    wait.until(ec.url_contains(f"/dashboard/sources/{source['id']}"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "button.replay")) == 2
    browser.find_elements(By.CSS_SELECTOR, "button.replay")[0].click()
    assert "Replayed as message" in wait.until(ec.visibility_of_element_located((By.ID, "flash"))).text
    receiver.wait_for("/in", 3)
    screenshot(browser, "09-source")
    screenshot(browser, "10-phone-source", PHONE)
