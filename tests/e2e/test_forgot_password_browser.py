"""A person who forgot their password, in Debian's Chromium against `ostium start-dev`:
"Forgot password?" on the login page, the form, the "e-mail on its way" page, the mail
received by a real SMTP server in the test process (aiosmtpd), its link opened in the
browser and confirmed, the new password on the required-action page, the application's
callback with a code — and the same link refused the second time.

Screenshots of every page and of the HTML mail (English and 简体中文) are kept with
the run's artefacts for a person to look at (tests/e2e/screenshots.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import (
    ADMIN_ENV,
    RunningServer,
    start_server,
)
from tests.e2e.login_pages import authorize_url, create_realm
from tests.e2e.page_language import expect_page_language
from tests.e2e.screenshots import shoot
from tests.mail_server import MailServer, html_of, link_in, mail_server, wait_for_mail

pytestmark = pytest.mark.e2e

REALM = "mail"
TIMEOUT_MS = 10_000
# What the pages show that is not ours to translate: the realm, the people.
NAMES = [REALM, "alice", "lin"]


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with mail_server(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: MailServer) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("ostium"), env=ADMIN_ENV)
    try:
        users = [
            {
                "username": name,
                "email": f"{name}@example.com",
                "enabled": True,
                "attributes": {"locale": [locale]},
                "credentials": [{"type": "password", "value": "wonderland"}],
            }
            for name, locale in (("alice", "en"), ("lin", "zh-CN"), ("bob", "en"))
        ]
        create_realm(
            running.base_url,
            {
                "realm": REALM,
                "enabled": True,
                "resetPasswordAllowed": True,
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
                "users": users,
            },
        )
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize(("locale", "username"), [("en", "alice"), ("zh-CN", "lin")])
def test_forgot_password_mail_and_link(
    server: RunningServer, smtp: MailServer, chromium: Browser, locale: str, username: str
) -> None:
    base = server.base_url
    context = chromium.new_context(locale=locale)
    try:
        context.route(f"{base}/callback*", lambda route: route.fulfill(body="signed in"))
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(authorize_url(base, REALM))
        forgot = page.locator("#kc-forgot-password")
        expect_page_language(page, locale, NAMES)
        shoot(page, f"mail-login-with-forgot-link-{locale}")
        forgot.click()
        page.wait_for_url("**/login-actions/reset-credentials?**")
        assert page.locator("html").get_attribute("lang")
        # Keyboard only: the field has the focus, Enter submits.
        expect(page.locator("#username")).to_be_focused()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"mail-reset-form-{locale}")
        before = len(smtp.inbox.to(f"{username}@example.com"))
        page.keyboard.type(username)
        page.keyboard.press("Enter")
        page.wait_for_selector("#kc-info-message")
        expect_page_language(page, locale, NAMES)
        shoot(page, f"mail-email-sent-{locale}")
        wait_for_mail(smtp.inbox, f"{username}@example.com", before + 1)
        mail = smtp.inbox.to(f"{username}@example.com")[-1]
        if locale == "zh-CN":  # the user's `locale` attribute, whatever the browser says
            assert mail["Subject"] == f"重置您的 {REALM} 密码"
        link = link_in(mail)
        assert link.startswith(f"{base}/realms/{REALM}/login-actions/action-token?key=")

        rendered = context.new_page()
        rendered.set_content(html_of(mail))
        expect_page_language(rendered, locale, NAMES)
        shoot(rendered, f"mail-password-reset-html-{locale}")
        rendered.close()

        page.goto(link)
        page.wait_for_selector("#kc-action-confirm")
        expect_page_language(page, locale, NAMES)
        shoot(page, f"mail-link-confirm-{locale}")
        # Keyboard only: the focus starts on "Continue".
        expect(page.locator("#kc-continue")).to_be_focused()
        page.keyboard.press("Enter")
        # The same browser's login goes on: the new password, then the application.
        page.wait_for_selector("#kc-passwd-update-form")
        expect_page_language(page, locale, NAMES)
        shoot(page, f"mail-update-password-{locale}")
        page.fill("#password-new", "through-the-looking-glass")
        page.fill("#password-confirm", "through-the-looking-glass")
        page.locator("#kc-submit").click()
        page.wait_for_url(f"{base}/callback*")
        assert "code=" in page.url
        page.goto(link)
        refused = page.locator("#kc-error-message")
        refused.wait_for()
        expect_page_language(page, locale, NAMES)
        shoot(page, f"mail-link-reused-{locale}")
    finally:
        context.close()


def test_an_unknown_account_sees_the_same_page_and_gets_no_mail(
    server: RunningServer, smtp: MailServer, chromium: Browser
) -> None:
    base = server.base_url
    context = chromium.new_context(locale="en")
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(authorize_url(base, REALM))
        page.locator("#kc-forgot-password").click()
        page.fill("#username", "nobody@example.com")
        page.get_by_role("button").click()
        message = page.locator("#kc-info-message").inner_text()
        assert "on its way" in message
        # Then a known account: once its mail is in, the unknown one's turn has passed.
        known = len(smtp.inbox.to("bob@example.com"))
        page.locator("#kc-back").click()
        page.locator("#kc-forgot-password").click()
        page.fill("#username", "bob")
        page.get_by_role("button").click()
        assert page.locator("#kc-info-message").inner_text() == message
        wait_for_mail(smtp.inbox, "bob@example.com", known + 1)
        assert smtp.inbox.to("nobody@example.com") == []
    finally:
        context.close()
