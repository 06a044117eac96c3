"""Signing up with a verified e-mail address, signing out, and the error page — in Debian's
Chromium against `ostium start-dev`, in English and 简体中文.

A new person registers on a realm that asks for verified addresses: the login stops on
"verify your e-mail", the mail reaches a real SMTP server in the test process (aiosmtpd),
its link opened in the same browser lets the login go on to the application, and the
account's address is verified. Then the person signs out through the confirmation page
(no id_token_hint, so Ostium asks first, as Keycloak does) and sees the signed-out page.
A link to an unknown application shows the error page in the browser's language.
Screenshots of each page are kept with the run's artefacts (tests/e2e/screenshots.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect

from ostium.locales import translate
from tests.e2e.conftest import ADMIN_ENV, RunningServer, admin_headers, start_server
from tests.e2e.login_pages import TIMEOUT_MS, authorize_url, create_realm
from tests.e2e.page_language import expect_page_language
from tests.e2e.screenshots import shoot
from tests.mail_server import MailServer, link_in, mail_server, wait_for_mail

pytestmark = pytest.mark.e2e

REALM = "signup"
# What the pages show that is not ours to translate: the realm, the people.
NAMES = [REALM, "Erin", "Hart", "Wei", "Zhang", "erin", "wei"]
PASSWORD = "Correct-Horse-7"


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with mail_server(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: MailServer) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("ostium"), env=ADMIN_ENV)
    try:
        create_realm(
            running.base_url,
            {
                "realm": REALM,
                "enabled": True,
                "registrationAllowed": True,
                "verifyEmail": True,
                "internationalizationEnabled": True,
                "supportedLocales": ["en", "zh-CN"],
                "defaultLocale": "en",
                "smtpServer": smtp.settings(),
                "clients": [
                    {
                        "clientId": "web",
                        "publicClient": True,
                        "redirectUris": [f"{running.base_url}/callback"],
                    }
                ],
            },
        )
        yield running
    finally:
        running.stop()


def _user(server: RunningServer, username: str) -> dict[str, object]:
    found = httpx.get(
        f"{server.base_url}/admin/realms/{REALM}/users",
        params={"username": username, "exact": "true"},
        headers=admin_headers(server.base_url),
        timeout=10,
    ).json()
    assert len(found) == 1, found
    user: dict[str, object] = found[0]
    return user


@pytest.mark.parametrize(
    ("locale", "username", "first", "last", "logout"),
    [("en", "erin", "Erin", "Hart", "Logout"), ("zh-CN", "wei", "Wei", "Zhang", "退出登录")],
)
def test_register_verify_the_address_then_sign_out(
    server: RunningServer,
    smtp: MailServer,
    chromium: Browser,
    locale: str,
    username: str,
    first: str,
    last: str,
    logout: str,
) -> None:
    base = server.base_url
    address = f"{username}@example.com"
    context = chromium.new_context(locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        context.route(f"{base}/callback*", lambda route: route.fulfill(body="signed in"))
        page = context.new_page()
        page.goto(authorize_url(base, REALM))
        page.locator("#kc-register-link").click()
        page.wait_for_url("**/login-actions/registration?**")
        page.locator("#username").fill(username)
        page.locator("#email").fill(address)
        page.locator("#firstName").fill(first)
        page.locator("#lastName").fill(last)
        page.locator("#password").fill(PASSWORD)
        page.locator("#password-confirm").fill(PASSWORD)
        page.locator("#password-confirm").press("Enter")

        # The account exists, but the login waits for the address to be proved.
        page.wait_for_selector("#kc-verify-email-form")
        expect(page.locator("#kc-verify-email-instruction")).to_contain_text(address)
        expect_page_language(page, locale, NAMES)
        shoot(page, f"register-verify-email-{locale}")
        assert "code=" not in page.url
        assert _user(server, username)["emailVerified"] is False
        wait_for_mail(smtp.inbox, address, 1)
        link = link_in(smtp.inbox.to(address)[-1])
        assert link.startswith(f"{base}/realms/{REALM}/login-actions/action-token?key=")

        # The link, in the same browser: once confirmed, the login goes on to the
        # application.
        page.goto(link)
        expect(page.locator("#kc-continue")).to_be_focused()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"register-verify-link-confirm-{locale}")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/callback*")
        assert "code=" in page.url
        assert _user(server, username)["emailVerified"] is True

        # Signing out without an id_token_hint: Ostium asks first.
        page.goto(f"{base}/realms/{REALM}/protocol/openid-connect/logout")
        button = page.get_by_role("button", name=logout)
        expect(button).to_be_visible()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"logout-confirm-{locale}")
        button.click()
        page.wait_for_url("**/logout/logout-confirm**")
        expect(page.locator("#kc-page-title")).to_have_text(translate(locale, "successLogout"))
        expect_page_language(page, locale, NAMES)
        shoot(page, f"logged-out-{locale}")
        # Signed out: the application's link shows the login form again.
        page.goto(authorize_url(base, REALM))
        expect(page.locator("#kc-form-login")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_link_to_an_unknown_application_shows_the_error_page(
    server: RunningServer, chromium: Browser, locale: str
) -> None:
    context = chromium.new_context(locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        response = page.goto(authorize_url(server.base_url, REALM, "no-such-app"))
        assert response is not None and response.status == 400
        expect(page.get_by_role("alert")).to_be_visible()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"error-unknown-client-{locale}")
    finally:
        context.close()
